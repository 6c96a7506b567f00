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
				Client      string `json:"client"`
				Go          string `json:"go"`
				Daemon      string `json:"daemon,omitempty"`
				DaemonError string `json:"daemon_error,omitempty"`
			}{Client: node.Version, Go: runtime.Version()}
			client, err := c.client()
			if err == nil {
				var info node.Info
				if info, err = client.Node(cmd.Context()); err == nil {
					v.Daemon = info.Version
				}
			}
			if err != nil {
				v.DaemonError = err.Error()
			}
			return c.output(v, func(w io.Writer) error {
				fmt.Fprintf(w, "parley %s (%s)\n", v.Client, v.Go)
				if v.Daemon != "" {
					fmt.Fprintf(w, "daemon %s\n", v.Daemon)
				} else {
					fmt.Fprintf(w, "daemon: %s\n", v.DaemonError)
				}
				return nil
			})
		},
	}
}
