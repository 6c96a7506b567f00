package chat

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"testing"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/host"
	quic "github.com/libp2p/go-libp2p/p2p/transport/quic"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
)

// transport is the one libp2p transport a test host listens and dials on.
// The daemons run both QUIC and TCP and libp2p prefers QUIC between them,
// so every integration test runs once on each (forTransports): a suite on
// TCP alone once hid a bug that broke every QUIC user. The values exist
// only inside forTransports, so a test that starts peers cannot skip one.
type transport struct {
	name   string
	listen string
	option libp2p.Option
}

// forTransports runs test once per transport, as the subtests TestX/quic
// and TestX/tcp.
func forTransports(t *testing.T, test func(t *testing.T, tr transport)) {
	t.Helper()
	for _, tr := range []transport{
		{"quic", "/ip4/127.0.0.1/udp/0/quic-v1", libp2p.Transport(quic.NewTransport)},
		{"tcp", "/ip4/127.0.0.1/tcp/0", libp2p.Transport(tcp.NewTCPTransport)},
	} {
		t.Run(tr.name, func(t *testing.T) { test(t, tr) })
	}
}

// newHost starts a libp2p host on tr alone, on 127.0.0.1, without relays,
// and with the extra options (an identity, say).
func (tr transport) newHost(t *testing.T, extra ...libp2p.Option) host.Host {
	t.Helper()
	if tr.option == nil {
		t.Fatal("test host without a transport: run the test in forTransports")
	}
	opts := append([]libp2p.Option{tr.option, libp2p.ListenAddrStrings(tr.listen), libp2p.DisableRelay()}, extra...)
	h, err := libp2p.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// rawHost is a plain libp2p host on tr that speaks Parley's protocols by
// hand, as a broken or hostile client would. It closes with the test.
func rawHost(t *testing.T, tr transport) host.Host {
	t.Helper()
	h := tr.newHost(t)
	t.Cleanup(func() { h.Close() })
	return h
}

// Every libp2p host of the chat tests is made by transport.newHost, whose
// transport only forTransports hands out: a test that built its own host
// would run on libp2p's default transports and skip the matrix.
func TestTestHostsComeFromTheTransportMatrix(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil || isNewHost(fn) {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "New" {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "libp2p" {
						t.Errorf("%s: %s makes a libp2p host itself; use tr.newHost or rawHost inside forTransports",
							fset.Position(call.Pos()), fn.Name.Name)
					}
				}
				return true
			})
		}
	}
}

// isNewHost reports whether fn is transport.newHost, the one maker of
// test hosts.
func isNewHost(fn *ast.FuncDecl) bool {
	if fn.Name.Name != "newHost" || fn.Recv == nil || len(fn.Recv.List) != 1 {
		return false
	}
	id, ok := fn.Recv.List[0].Type.(*ast.Ident)
	return ok && id.Name == "transport"
}
