// Package netns is Parley's end-to-end suite for what needs more than
// loopback: mDNS on a LAN, NAT routers, a public bootstrap/relay node, hole
// punching. It runs the real parley binary, built once by TestMain, in
// network namespaces that it creates and removes, and drives it through
// the CLI (inside each namespace the API listens on 127.0.0.1).
//
// It needs root, iproute2 (ip netns, veth, bridge) and, for the NAT test,
// nftables; without them every test is skipped with a message saying what
// is missing. .ci/run runs it as root.
//
// Nothing leaves the machine: the namespaces are linked only to each
// other, never to the host's network, and none has a route out. The
// "internet" segment uses 7.0.0.0/24, a public range, because the WAN
// half of the DHT and AutoNAT only accept public addresses; it exists only
// on a bridge inside the suite's own namespace.
//
// Every namespace, link and process is removed at the end of its test,
// failed or not (t.Cleanup), on SIGINT/SIGTERM (TestMain), and, should a
// run be killed outright, by the next run: namespace names carry the PID
// of the test process that made them, and names of dead processes are
// cleaned up at start.
package netns
