package node

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// setBootstrapText returns data with network.bootstrap set to list, every
// other byte of the file (comments, order, spacing) as it was: the value
// of an existing bootstrap key of the [network] table is replaced in
// place, or the key is added at the top of that table, or a [network]
// table with it is appended. ok is false when the file holds the key in a
// shape this does not edit (an inline table, a dotted key elsewhere).
func setBootstrapText(data []byte, list []string) (out []byte, ok bool) {
	value := bootstrapValue(list)
	lines := bytes.SplitAfter(data, []byte("\n"))
	table, netHeader := "", -1
	offset := 0
	for i, line := range lines {
		trimmed := strings.TrimSpace(string(line))
		if m := tableHeader.FindStringSubmatch(trimmed); m != nil {
			table = strings.TrimSpace(m[1])
			if table == "network" {
				netHeader = i
			}
		} else if table == "network" && bootstrapKey.MatchString(trimmed) {
			start := offset + bytes.IndexByte(line, '=') + 1
			end, found := valueEnd(data, start)
			if !found {
				return nil, false
			}
			var b bytes.Buffer
			b.Write(data[:start])
			b.WriteString(" " + value)
			b.Write(data[end:])
			return b.Bytes(), true
		} else if strings.HasPrefix(trimmed, "network") && table == "" {
			return nil, false // network = {...} or network.bootstrap = at the top
		}
		offset += len(line)
	}
	var b bytes.Buffer
	if netHeader < 0 {
		b.Write(data)
		if len(data) > 0 && !bytes.HasSuffix(data, []byte("\n")) {
			b.WriteByte('\n')
		}
		b.WriteString("\n[network]\nbootstrap = " + value + "\n")
		return b.Bytes(), true
	}
	for i, line := range lines {
		b.Write(line)
		if i == netHeader {
			if !bytes.HasSuffix(line, []byte("\n")) {
				b.WriteByte('\n')
			}
			b.WriteString("bootstrap = " + value + "\n")
		}
	}
	return b.Bytes(), true
}

var (
	tableHeader  = regexp.MustCompile(`^\[([^\[\]]+)\]\s*(#.*)?$`)
	bootstrapKey = regexp.MustCompile(`^bootstrap\s*=`)
)

// bootstrapValue writes list as a TOML array, one address a line.
func bootstrapValue(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	var b strings.Builder
	b.WriteString("[\n")
	for _, a := range list {
		fmt.Fprintf(&b, "  %s,\n", strconv.Quote(a))
	}
	b.WriteString("]")
	return b.String()
}

// valueEnd finds where the TOML value that starts at data[start:] ends:
// after the bracket that closes an array (strings and comments skipped),
// or at the end of the line for any other value.
func valueEnd(data []byte, start int) (int, bool) {
	i := start
	for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	if i >= len(data) || data[i] != '[' {
		end := bytes.IndexByte(data[i:], '\n')
		if end < 0 {
			return len(data), true
		}
		return i + end, true
	}
	depth := 0
	for ; i < len(data); i++ {
		switch c := data[i]; c {
		case '"', '\'':
			j := i + 1
			for j < len(data) && data[j] != c && data[j] != '\n' {
				if c == '"' && data[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(data) || data[j] != c {
				return 0, false
			}
			i = j
		case '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
	}
	return 0, false
}
