// Command parley runs a Parley node (`parley daemon`) and controls it
// through the node's local API (every other subcommand).
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
