# Failure reported from the field: the server answers a relayed DISCOVER by broadcast on its own
# segment instead of to the relay (giaddr:67). The client, behind the router, never hears it.
# serve --fault relay-reply-misrouted does exactly that; analyze of the server-side capture must
# say relay-reply-misrouted.
DESCRIPTION="failure: serve answers relayed requests on its own segment (relay-reply-misrouted)"
GROUP=failure
FIRMWARE=bios
SERVER=serve
RELAY=1
SERVE_ARGS="--fault relay-reply-misrouted"
TIMEOUT=60
EXPECT_TIMEOUT=1
EXPECT=relay-reply-misrouted
GIVEUP='(No such file or directory|Nothing to boot|No configuration methods)[^\n]*\n([^\n]*\n)?No more network devices'
