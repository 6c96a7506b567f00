package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/api"
)

// cli holds what every command shares: the global flags and the streams.
type cli struct {
	homeFlag string
	json     bool
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
}

// run executes the command line and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr}
	root := c.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := root.ExecuteContext(ctx); err != nil {
		c.printError(err)
		return 1
	}
	return 0
}

func (c *cli) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "parley",
		Short: "A peer-to-peer messenger: run your node and talk to your friends",
		Long: `Parley is a peer-to-peer messenger. Every user runs a personal node
(parley daemon); every other command talks to that node through its local API.

Start a node:      parley daemon
Who am I:          parley id
Connect to a peer: parley connect /ip4/192.0.2.7/tcp/4001/p2p/12D3Koo...`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&c.homeFlag, "home", "", "node home directory (default $PARLEY_HOME or ~/.parley)")
	root.PersistentFlags().BoolVar(&c.json, "json", false, "print JSON for scripts")
	root.AddCommand(
		c.daemonCommand(),
		c.initCommand(),
		c.idCommand(),
		c.peersCommand(),
		c.connectCommand(),
		c.disconnectCommand(),
		c.eventsCommand(),
		c.versionCommand(),
		c.friendCommand(),
		c.contactsCommand(),
		c.profileCommand(),
		c.presenceCommand(),
		c.whoisCommand(),
		c.blockCommand(true),
		c.blockCommand(false),
		c.sendCommand(),
		c.historyCommand(),
		c.conversationsCommand(),
		c.chatCommand(),
		c.readCommand(),
		c.groupsCommand(),
		c.groupCommand(),
		c.bootstrapCommand(),
		c.uiCommand(),
	)
	addExamples(root)
	explainArgs(root)
	return root
}

// home resolves --home, $PARLEY_HOME or ~/.parley.
func (c *cli) home() (node.Home, error) {
	if c.homeFlag != "" {
		return node.Home{Dir: c.homeFlag}, nil
	}
	return node.DefaultHome()
}

// client finds the home's running daemon.
func (c *cli) client() (*api.Client, error) {
	home, err := c.home()
	if err != nil {
		return nil, err
	}
	return api.ClientForHome(home)
}

// printJSON writes v as indented JSON.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}

// output prints v as JSON with --json, or calls human otherwise.
func (c *cli) output(v any, human func(w io.Writer) error) error {
	if c.json {
		return c.printJSON(v)
	}
	return human(c.stdout)
}

// isNoDaemon reports whether err means no daemon runs.
func isNoDaemon(err error) bool { return errors.Is(err, api.ErrNoDaemon) }
