package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// examples are the --help examples of the commands whose Long text has
// none, by command path. TestEveryCommandHasAnExample keeps every command
// covered.
var examples = map[string]string{
	"parley": `  parley --home /tmp/alice init --profile local --nickname alice
  parley --home /tmp/alice daemon
  parley send bob "see you at eight"`,
	"parley version":         `  parley version --json`,
	"parley friend requests": `  parley friend requests --all`,
	"parley friend accept":   `  parley friend accept 101a0248`,
	"parley friend reject":   `  parley friend reject 101a0248`,
	"parley friend cancel":   `  parley friend cancel 504b3fd3`,
	"parley contacts rm":     `  parley contacts rm bob`,
	"parley block":           `  parley block 12D3KooWKSsabc`,
	"parley unblock":         `  parley unblock 12D3KooWKSsabc`,
	"parley conversations":   `  parley conversations --json`,
	"parley groups":          `  parley groups`,
	"parley group create":    `  parley group create climbers --member bob --member carol`,
	"parley group info":      `  parley group info climbers`,
	"parley group members":   `  parley group members eea6`,
	"parley group rename":    `  parley group rename climbers "climbing club"`,
	"parley group invite":    `  parley group invite climbers dave`,
	"parley group kick":      `  parley group kick climbers dave`,
	"parley group promote":   `  parley group promote climbers carol`,
	"parley group demote":    `  parley group demote climbers carol`,
	"parley group leave":     `  parley group leave climbers`,
	"parley group accept":    `  parley group invites; parley group accept climbers`,
	"parley group decline":   `  parley group decline climbers`,
	"parley group invites":   `  parley group invites --json`,
	"parley group delete":    `  parley group leave climbers; parley group delete climbers`,
	"parley group send":      `  parley group send climbers "saturday at nine?"` + "\n" + `  echo "from a script" | parley group send climbers`,
	"parley group history":   `  parley group history climbers --limit 20`,
}

// addExamples gives every command under root without an example in its
// Long text the one from examples.
func addExamples(root *cobra.Command) {
	if root.Example == "" && !hasExample(root) {
		root.Example = examples[root.CommandPath()]
	}
	for _, sub := range root.Commands() {
		addExamples(sub)
	}
}

// hasExample reports whether a command's help shows an example.
func hasExample(cmd *cobra.Command) bool {
	return cmd.Example != "" || strings.Contains(cmd.Long, "Example")
}
