"""Plain-text rendering of a determination, for `secondlook check` and logs-free printing."""

from __future__ import annotations

from coverage.determination import Determination

COVERED_WORDS = {
    "covered": "Covered",
    "not-covered": "Not covered",
    "conditional": "Covered if…",
    "indeterminate": "Can't tell yet",
}
PA_WORDS = {
    "no-auth": "not needed",
    "auth-needed": "needed before the visit",
    "satisfied": "already approved",
    "conditional": "may be needed (see below)",
}
NETWORK_WORDS = {
    "in_network": "in network",
    "out_of_network_at_in_network_cost": "out of network at in-network cost",
    "out_of_network_cost_sharing": "out of network, out-of-network cost sharing",
    "not_covered": "not covered with this doctor",
    "unknown": "not known yet",
}


def determination_text(d: Determination) -> str:
    out: list[str] = []
    add = out.append
    add(f"{d.plan_name}  (as of {d.as_of.isoformat()})")
    add("")
    add(f"{COVERED_WORDS[d.covered].upper()}: {d.headline}")
    add("")
    add(f"Network:               {NETWORK_WORDS[d.network.outcome]}. {d.network.explanation}")
    add(f"Prior authorisation:   {PA_WORDS[d.pa_needed] if d.pa_needed else 'n/a'}")
    add(f"Referral:              {d.referral_needed or 'n/a'}")
    add(f"Cost:                  {d.cost_sharing.summary}")
    add(f"Governing law:         {d.governing_law}")
    if d.info_needed:
        add("")
        add("We need to know:")
        for need in d.info_needed:
            add(f"  - {need.question}  [{need.field}] {need.why}")
    add("")
    add("Next steps:")
    for n, step in enumerate(d.next_steps, 1):
        add(f"  {n}. {step}")
    if d.deadlines:
        add("")
        add("Deadlines:")
        for dl in d.deadlines:
            due = dl.due.isoformat() if dl.due else "—"
            flag = "" if dl.verified else "  (unverified: confirm with your plan)"
            add(f"  {due:<10}  {dl.title}: {dl.within}. {dl.basis} [{dl.citation}]{flag}")
    if d.letters:
        add("")
        add("Letters to send: " + ", ".join(d.letters))
    if d.unverified:
        add("")
        add("Confirm with your plan:")
        for item in d.unverified:
            add(f"  - {item}")
    add("")
    add("Rules applied:")
    for t in d.trace:
        verified = (
            f"last verified {t.last_verified.isoformat()}" if t.last_verified else "date unknown"
        )
        if not t.verified:
            verified += ", UNVERIFIED"
        over = f" (wins over {', '.join(t.overrides)})" if t.overrides else ""
        add(f"  [{t.layer}/{t.priority}] {t.status:<14} {t.title}{over}")
        add(f"      {t.effect}")
        add(f"      {t.citation}; {verified}")
    add("")
    add(d.disclaimer)
    return "\n".join(out)
