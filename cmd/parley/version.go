package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/node"
)

func (c *cli) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of this program and of the running daemon",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := struct {
				Client string `json:"client"`
				Go     string `json:"go"`
				Daemon string `json:"daemon,omitempty"`
			}{Client: node.Version, Go: runtime.Version()}
			if client, err := c.client(); err == nil {
				if info, err := client.Node(cmd.Context()); err == nil {
					v.Daemon = info.Version
				}
			}
			return c.output(v, func(w io.Writer) error {
				fmt.Fprintf(w, "parley %s (%s)\n", v.Client, v.Go)
				if v.Daemon != "" {
					fmt.Fprintf(w, "daemon %s\n", v.Daemon)
				} else {
					fmt.Fprintln(w, "daemon not running")
				}
				return nil
			})
		},
	}
}
