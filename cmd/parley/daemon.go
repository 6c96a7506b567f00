package main

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/api"
)

type daemonArgs struct {
	profile        string
	api            string
	listen         []string
	bootstrap      []string
	passphraseFile string
	logLevel       string
}

func (c *cli) daemonCommand() *cobra.Command {
	var args daemonArgs
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Run the node (initializes an empty home first)",
		Long: `Run the personal node in the foreground until SIGINT or SIGTERM.

On an empty home it first creates the config for --profile, a new identity
key and an API token. Flags override config.toml for this run.

Examples:
  parley daemon
  parley --home /tmp/alice daemon --profile local`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.runDaemon(cmd, args) },
	}
	f := cmd.Flags()
	f.StringVar(&args.profile, "profile", node.ProfileDefault, "profile for a new home: default, server or local")
	f.StringVar(&args.api, "api", "", "API listen address host:port on loopback (port 0: any free port)")
	f.StringArrayVar(&args.listen, "listen", nil, "libp2p listen multiaddr (repeatable; replaces network.listen)")
	f.StringArrayVar(&args.bootstrap, "bootstrap", nil, "bootstrap peer multiaddr with /p2p/ (repeatable; replaces network.bootstrap)")
	f.StringVar(&args.passphraseFile, "passphrase-file", "", "file holding the identity key's passphrase (or set PARLEY_PASSPHRASE)")
	f.StringVar(&args.logLevel, "log-level", "", "debug, info, warn or error")
	return cmd
}

func (c *cli) runDaemon(cmd *cobra.Command, args daemonArgs) error {
	start := time.Now()
	home, err := c.home()
	if err != nil {
		return err
	}
	passphrase, err := c.keyPassphrase(home, args.passphraseFile)
	if err != nil {
		return err
	}
	initialized, err := home.Initialized()
	if err != nil {
		return err
	}
	if err := home.CheckKeyForDatabase(); err != nil {
		return err
	}
	if !initialized {
		res, err := node.Init(home, args.profile, passphrase)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "initialized %s (profile %s, peer %s)\n", res.Home, res.Profile, res.PeerID)
	}
	cfg, err := node.LoadConfig(home.ConfigPath())
	if err != nil {
		return err
	}
	if cmd.Flags().Changed("profile") && initialized && args.profile != cfg.Profile {
		return fmt.Errorf("%s uses profile %q; --profile only applies to a new home (edit %s to change it)", home.Dir, cfg.Profile, home.ConfigPath())
	}
	if err := home.RecordProfile(cfg.Profile); err != nil {
		return err
	}
	applyDaemonFlags(&cfg, args)
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("flags: %w", err)
	}
	log, err := node.NewLogger(c.stderr, cfg.Log.Level)
	if err != nil {
		return err
	}
	token, err := home.LoadOrCreateToken()
	if err != nil {
		return err
	}

	n, err := node.New(node.Options{Home: home, Config: cfg, Passphrase: passphrase, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.API.Listen)
	if err != nil {
		return errors.Join(fmt.Errorf("api: listen on %s: %w (is another program using it? try --api 127.0.0.1:0)", cfg.API.Listen, err), n.Close())
	}
	apiAddr := ln.Addr().String()
	if err := home.WriteAPIAddr(apiAddr); err != nil {
		return errors.Join(err, ln.Close(), n.Close())
	}
	info := n.Info()
	log.Info("api ready", "addr", apiAddr, "startup", time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(c.stdout, "parley daemon ready\npeer: %s\napi: %s\n", info.PeerID, apiAddr)
	for _, a := range info.ListenAddrs {
		fmt.Fprintf(c.stdout, "listen: %s\n", a)
	}
	if cfg.Profile == node.ProfileServer {
		printShareAddrs(c.stdout, n.ShareAddrs())
	}

	// Serve blocks until SIGINT or SIGTERM; then the API, the node and the
	// storage close in that order.
	serveErr := api.NewServer(n, token, log.With("component", "api")).Serve(cmd.Context(), ln)
	log.Info("shutting down")
	err = errors.Join(serveErr, home.RemoveAPIAddr(), n.Close())
	if err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

func applyDaemonFlags(cfg *node.Config, args daemonArgs) {
	if args.api != "" {
		cfg.API.Listen = args.api
	}
	if len(args.listen) > 0 {
		cfg.Network.Listen = args.listen
	}
	if len(args.bootstrap) > 0 {
		cfg.Network.Bootstrap = args.bootstrap
	}
	if args.logLevel != "" {
		cfg.Log.Level = args.logLevel
	}
}
