package parley_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is this repository's module path.
const module = "github.com/parley-im/parley"

// layer says which of our packages a package may import. DESIGN.md:
// cmd → node/api → node → chat → {identity, storage}; identity and storage
// import nothing of ours but their own subpackages.
type layer struct {
	// prefix names the package (relative to the module) and every
	// package under it, unless a longer prefix matches.
	prefix string
	// may are the packages (with their subpackages) it may import.
	may []string
	// testMay are further packages its tests may import.
	testMay []string
	// testOnly packages have no code of their own besides a package doc,
	// and may import anything from their tests.
	testOnly bool
}

// below are the packages under chat, wire formats included: downward.
var below = []string{"chat", "chat/pb", "identity", "identity/pb", "storage"}

var layers = []layer{
	{prefix: "identity/pb"},
	{prefix: "identity", may: []string{"identity/pb"}},
	{prefix: "storage"}, // its own subpackages are allowed below
	{prefix: "chat/pb"},
	{prefix: "chat", may: []string{"chat/pb", "identity", "identity/pb", "storage"}},
	{prefix: "node/nodetest", may: append([]string{"node"}, below...)},
	{prefix: "node/api", may: append([]string{"node"}, below...), testMay: []string{"node/nodetest"}},
	{prefix: "node", may: below, testMay: []string{"node/nodetest"}},
	{prefix: "cmd", may: append([]string{"node/api", "node"}, below...), testMay: []string{"node/nodetest"}},
	{prefix: "e2e", testOnly: true},
	{prefix: "", testOnly: true}, // the module root holds only this test
}

// layerOf returns the layer of a package path relative to the module: the
// longest prefix that matches.
func layerOf(rel string) (layer, bool) {
	for _, l := range layers { // longer prefixes come first
		if under(rel, l.prefix) {
			return l, true
		}
	}
	return layer{}, false
}

// under reports whether rel is pkg or one of its subpackages.
func under(rel, pkg string) bool {
	if pkg == "" {
		return rel == ""
	}
	return rel == pkg || strings.HasPrefix(rel, pkg+"/")
}

type listedPackage struct {
	ImportPath   string
	Dir          string
	GoFiles      []string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Error        *struct{ Err string }
}

func listPackages(t *testing.T) []listedPackage {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command("go", "list", "-e", "-json", "./...")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -json ./...: %v\n%s", err, stderr.String())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found %d packages; is the test run from the module root?", len(pkgs))
	}
	return pkgs
}

// ours returns the module-relative path of an import of this module, or
// false for the standard library and third-party packages.
func ours(path string) (string, bool) {
	if path == module {
		return "", true
	}
	return strings.CutPrefix(path, module+"/")
}

// TestImportDirection keeps DESIGN.md's import direction.
func TestImportDirection(t *testing.T) {
	t.Parallel()
	pkgs := listPackages(t)
	for _, p := range pkgs {
		if p.Error != nil {
			// A package being edited may not build; the direction of its
			// imports is still checked, from what go list could read.
			t.Logf("%s: %s", p.ImportPath, p.Error.Err)
		}
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

// violations returns one message per import against the layout.
func violations(pkgs []listedPackage) []string {
	var out []string
	for _, p := range pkgs {
		rel, ok := ours(p.ImportPath)
		if !ok {
			out = append(out, fmt.Sprintf("go list returned %s, outside module %s", p.ImportPath, module))
			continue
		}
		l, known := layerOf(rel)
		if !known {
			out = append(out, fmt.Sprintf("package %s is not in DESIGN.md's layout; add it to the table in deps_test.go with the packages it may import", p.ImportPath))
			continue
		}
		check := func(kind string, imports []string, allowed []string, anything bool) {
			for _, imp := range imports {
				irel, ok := ours(imp)
				if !ok || imp == p.ImportPath {
					continue // third-party, standard library, or its own external test
				}
				switch {
				case under(irel, "cmd"):
					out = append(out, fmt.Sprintf("%s: %s imports %s: nothing may import cmd/... (move the shared code to node/api or below)", p.ImportPath, kind, imp))
				case under(irel, "e2e"):
					out = append(out, fmt.Sprintf("%s: %s imports %s: e2e/... is test-only and may not be imported", p.ImportPath, kind, imp))
				case anything:
				case ownSubpackage(l, irel):
				case slices.ContainsFunc(allowed, func(a string) bool { return inLayer(irel, a) }):
				default:
					out = append(out, fmt.Sprintf("%s: %s imports %s, against DESIGN.md's direction cmd → node/api → node → chat → {identity, storage}; %s may import only %s",
						p.ImportPath, kind, imp, p.ImportPath, describe(l, allowed)))
				}
			}
		}
		tests := append(slices.Clone(p.TestImports), p.XTestImports...)
		if l.testOnly {
			for _, imp := range p.Imports {
				if _, ok := ours(imp); ok {
					out = append(out, fmt.Sprintf("%s: code (%s) imports %s: %s is test-only; only its tests may import our packages",
						p.ImportPath, strings.Join(p.GoFiles, ", "), imp, p.ImportPath))
				}
			}
			check("a test", tests, nil, true)
			continue
		}
		check("code", p.Imports, l.may, false)
		check("a test", tests, append(slices.Clone(l.may), l.testMay...), false)
	}
	return out
}

// ownSubpackage reports whether irel is l's package or one of its
// subpackages that is not a layer of its own (node may import a node/x,
// never node/api).
func ownSubpackage(l layer, irel string) bool {
	return l.prefix != "" && inLayer(irel, l.prefix)
}

// inLayer reports whether irel is the package pkg or a subpackage of it
// that is not a layer of its own: allowing "node" allows neither node/api
// nor node/nodetest.
func inLayer(irel, pkg string) bool {
	if !under(irel, pkg) {
		return false
	}
	return !slices.ContainsFunc(layers, func(o layer) bool {
		return o.prefix != pkg && under(o.prefix, pkg) && under(irel, o.prefix)
	})
}

// TestImportDirectionCatches feeds the check imports that break the layout.
func TestImportDirectionCatches(t *testing.T) {
	t.Parallel()
	pkg := func(rel string, imports, testImports []string) listedPackage {
		p := listedPackage{ImportPath: module + "/" + rel, GoFiles: []string{"x.go"}}
		for _, i := range imports {
			p.Imports = append(p.Imports, module+"/"+i)
		}
		for _, i := range testImports {
			p.XTestImports = append(p.XTestImports, module+"/"+i)
		}
		return p
	}
	for _, tc := range []struct {
		p    listedPackage
		want string // in the message; "" for no violation
	}{
		{pkg("storage", []string{"identity"}, nil), "storage: code imports " + module + "/identity"},
		{pkg("identity", []string{"storage"}, nil), "identity: code imports " + module + "/storage"},
		{pkg("identity", []string{"identity/pb"}, nil), ""},
		{pkg("chat", []string{"node"}, nil), "chat: code imports " + module + "/node"},
		{pkg("chat", nil, []string{"node/nodetest"}), "chat: a test imports " + module + "/node/nodetest"},
		{pkg("chat", []string{"chat/pb", "identity", "storage"}, nil), ""},
		{pkg("node", []string{"node/api"}, nil), "node: code imports " + module + "/node/api"},
		{pkg("node", nil, []string{"node/nodetest", "node"}), ""},
		{pkg("node/nodetest", []string{"node/api"}, nil), "node/nodetest: code imports " + module + "/node/api"},
		{pkg("node/api", []string{"node/nodetest"}, nil), "node/api: code imports " + module + "/node/nodetest"},
		{pkg("node/api", []string{"cmd/parley"}, nil), "nothing may import cmd/..."},
		{pkg("cmd/parley-bench", []string{"cmd/parley"}, nil), "nothing may import cmd/..."},
		{pkg("cmd/parley", []string{"node/api", "node", "chat", "storage", "identity"}, []string{"node/nodetest"}), ""},
		{pkg("e2e/netns", []string{"node"}, nil), "e2e/netns is test-only"},
		{pkg("e2e/netns", nil, []string{"node/api", "node/nodetest"}), ""},
		{pkg("storage", nil, []string{"e2e/netns"}), "e2e/... is test-only"},
		{pkg("gui", nil, nil), "is not in DESIGN.md's layout"},
	} {
		got := violations([]listedPackage{tc.p})
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("%s importing %v %v: unexpected %q", tc.p.ImportPath, tc.p.Imports, tc.p.XTestImports, got)
		case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
			t.Errorf("%s importing %v %v: got %q, want one message with %q", tc.p.ImportPath, tc.p.Imports, tc.p.XTestImports, got, tc.want)
		}
	}
}

func describe(l layer, allowed []string) string {
	var names []string
	if l.prefix != "" {
		names = append(names, l.prefix+"/...")
	}
	names = append(names, allowed...)
	if len(names) == 0 {
		return "nothing of ours"
	}
	return strings.Join(names, ", ")
}

// TestLayerTable checks the table itself: longer prefixes first, so that
// node/api is not taken for node.
func TestLayerTable(t *testing.T) {
	t.Parallel()
	for i, l := range layers {
		for _, later := range layers[i+1:] {
			if later.prefix != l.prefix && (l.prefix == "" || under(later.prefix, l.prefix)) && later.prefix != "" {
				t.Errorf("layer %q comes after %q, which would take its packages", later.prefix, l.prefix)
			}
		}
	}
	for rel, want := range map[string]string{
		"node/api": "node/api", "node": "node", "node/nodetest": "node/nodetest",
		"identity/pb": "identity/pb", "cmd/parley": "cmd", "e2e/netns": "e2e", "chat": "chat",
	} {
		if l, ok := layerOf(rel); !ok || l.prefix != want {
			t.Errorf("layerOf(%q) = %q, want %q", rel, l.prefix, want)
		}
	}
}
