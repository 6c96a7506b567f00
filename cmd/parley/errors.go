package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/node/api"
)

// codeCLI is the code of a --json error that the CLI found itself (bad
// arguments, an unreadable file), without asking the daemon.
const codeCLI api.Code = 1

// jsonError is what --json prints on stderr for an error.
type jsonError struct {
	Code    api.Code `json:"code"`
	Message string   `json:"message"`
}

// printError prints a command's error: a line for people, or with --json
// a JSON object with the API's error code (1501 when no daemon runs, 1
// when the CLI found the error itself).
func (c *cli) printError(err error) {
	if !c.json {
		fmt.Fprintf(c.stderr, "parley: %s\n", textBlock(err.Error(), "  "))
		return
	}
	je := jsonError{Code: codeCLI, Message: err.Error()}
	var apiErr *api.Error
	switch {
	case errors.As(err, &apiErr):
		je.Code = apiErr.Code
	case isNoDaemon(err):
		je.Code = api.CodeUnavailable
	}
	enc := json.NewEncoder(c.stderr)
	enc.SetEscapeHTML(false)
	if e := enc.Encode(je); e != nil {
		fmt.Fprintf(c.stderr, "parley: %v\n", err)
	}
}

// explainArgs makes the argument errors of every command under root say
// what the command takes, and to quote a text of several words.
func explainArgs(root *cobra.Command) {
	if check := root.Args; check != nil {
		root.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				hint := "see " + cmd.CommandPath() + " --help"
				if takesText(cmd) {
					hint = `put a text of several words in quotes: "like this"`
				}
				return fmt.Errorf("%s takes %s, not %d argument%s (%s)", cmd.CommandPath(), argsOf(cmd), len(args), plural(len(args)), hint)
			}
			return nil
		}
	}
	for _, sub := range root.Commands() {
		explainArgs(sub)
	}
}

// argsOf is the arguments part of a command's usage line, or "no arguments".
func argsOf(cmd *cobra.Command) string {
	use := cmd.Use
	for i, r := range use {
		if r == ' ' {
			return use[i+1:]
		}
	}
	return "no arguments"
}

// takesText reports whether a command takes a free text (a message, a
// name), which people forget to quote.
func takesText(cmd *cobra.Command) bool {
	return strings.Contains(cmd.Use, "text") || strings.Contains(cmd.Use, "<name>")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
