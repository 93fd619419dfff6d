"""The service's side of the device agent: enrolment, reports, the repair queue.

Runs inside the Flask service; the agent itself (the rest of `assettrack.agents`)
never imports this package.
"""
