"""The coordinators' web portal: server-rendered pages on the gateway's web server."""
