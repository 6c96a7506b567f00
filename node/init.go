package node

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/parley-im/parley/identity"
	"github.com/parley-im/parley/storage"
)

// InitResult reports what Init created.
type InitResult struct {
	PeerID        string `json:"peer_id"`
	Home          string `json:"home"`
	Profile       string `json:"profile"`
	CreatedConfig bool   `json:"created_config"`
	CreatedKey    bool   `json:"created_key"`
}

// ErrKeyMissing means a home holds a database but no identity key: a new
// key would make its contacts and history belong to another peer ID.
var ErrKeyMissing = errors.New("identity key missing")

// ErrKeyMismatch means the home's identity key is not the key of the peer
// whose contacts and history its database holds (a wrong backup restored).
var ErrKeyMismatch = errors.New("identity key does not match the database")

// Init prepares a home: the directory, config.toml for the profile (kept
// if it exists; rewritten for the recorded profile, not the one asked
// for, when a home that has a record lost its config), the record of the home's profile, the identity key (kept
// if it exists) and the API token. It is idempotent, so `parley daemon`
// runs it on every start. It refuses (ErrKeyMissing) to make a new key in
// a home whose database belongs to a key that is gone.
func Init(home Home, profile string, passphrase []byte) (InitResult, error) {
	res := InitResult{Home: home.Dir, Profile: profile}
	if err := home.Ensure(); err != nil {
		return res, err
	}
	if err := home.CheckKeyForDatabase(); err != nil {
		return res, err
	}
	if _, err := os.Stat(home.ConfigPath()); errors.Is(err, os.ErrNotExist) {
		recorded, err := home.RecordedProfile()
		if err != nil {
			return res, err
		}
		if recorded != "" {
			res.Profile = recorded // a home whose config is gone keeps its profile
		}
		cfg, err := ProfileConfig(res.Profile)
		if err != nil {
			return res, err
		}
		if res.Profile == ProfileLocal {
			if err := pinLocalPorts(&cfg); err != nil {
				return res, err
			}
		}
		if err := WriteConfig(home.ConfigPath(), cfg); err != nil {
			return res, err
		}
		res.CreatedConfig = true
	} else if err != nil {
		return res, fmt.Errorf("config %s: %w", home.ConfigPath(), err)
	} else {
		cfg, err := LoadConfig(home.ConfigPath())
		if err != nil {
			return res, err
		}
		res.Profile = cfg.Profile
	}
	if err := home.RecordProfile(res.Profile); err != nil {
		return res, err
	}
	key, created, err := identity.LoadOrCreate(home.KeyPath(), passphrase)
	if err != nil {
		return res, fmt.Errorf("identity: %w", err)
	}
	res.CreatedKey = created
	id, err := peerIDOf(key)
	if err != nil {
		return res, err
	}
	res.PeerID = id
	if _, err := home.LoadOrCreateToken(); err != nil {
		return res, err
	}
	return res, nil
}

// CheckKeyForDatabase fails with ErrKeyMissing, saying what to do, when
// the home has a database but no identity key.
func (h Home) CheckKeyForDatabase() error {
	if _, err := os.Lstat(h.KeyPath()); !errors.Is(err, os.ErrNotExist) {
		return nil // there, or unreadable: identity.Load says which
	}
	hasDB, err := h.hasDatabase()
	if err != nil || !hasDB {
		return err
	}
	return fmt.Errorf("%w: %s has no identity.key, but its database %s holds the contacts and history of the identity that key was; "+
		"put that identity.key back from a backup, or to start over as a new identity move %s away first",
		ErrKeyMissing, h.Dir, h.DBPath(), h.DBPath())
}

// checkOwner records the key's peer ID as the owner of the home's database
// when it has none (a new database, or one older than the record), and
// fails with ErrKeyMismatch, saying what to do, when the database belongs
// to another peer.
func checkOwner(h Home, db *storage.DB, id string) error {
	owner, err := db.ClaimOwner(id)
	if err != nil {
		return err
	}
	if owner == id {
		return nil
	}
	return fmt.Errorf("%w: %s is the key of peer %s, but the database %s holds the contacts and history of peer %s; "+
		"put back the identity.key of %s (from a backup), or to start over as %s move %s away first",
		ErrKeyMismatch, h.KeyPath(), id, h.DBPath(), owner, owner, id, h.DBPath())
}

func peerIDOf(key crypto.PrivKey) (string, error) {
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("peer id: %w", err)
	}
	return id.String(), nil
}

// Initialized reports whether the home has a config file.
func (h Home) Initialized() (bool, error) {
	_, err := os.Stat(h.ConfigPath())
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("config %s: %w", h.ConfigPath(), err)
	}
	return true, nil
}

// SetInitialNickname stores the owner's nickname in an initialized home
// whose daemon is not running (parley init --nickname).
func SetInitialNickname(home Home, nickname string) error {
	if err := identity.ValidateNickname(nickname); err != nil {
		return fmt.Errorf("nickname: %w", err)
	}
	lock, err := home.Lock()
	if err != nil {
		return fmt.Errorf("%w (set the nickname through the running daemon instead)", err)
	}
	defer lock.Unlock()
	db, err := storage.Open(home.DBPath(), storage.Options{GCInterval: -1})
	if err != nil {
		return err
	}
	_, err = db.UpdateOwnProfile(func(p *storage.Profile) error {
		p.Nickname = nickname
		return nil
	})
	return errors.Join(err, db.Close())
}

// pinLocalPorts gives the local profile's listen addresses (port 0) one
// free port, the same for TCP and QUIC, written into the new config: a
// local node keeps its addresses across restarts, so that friends who
// remember them find it again without a manual connect.
func pinLocalPorts(cfg *Config) error {
	port, err := freeLocalPort()
	if err != nil {
		return err
	}
	for i, a := range cfg.Network.Listen {
		cfg.Network.Listen[i] = strings.Replace(strings.Replace(a, "/tcp/0", "/tcp/"+port, 1), "/udp/0/", "/udp/"+port+"/", 1)
	}
	return nil
}

// freeLocalPort finds a port that is free on 127.0.0.1 for TCP and UDP.
func freeLocalPort() (string, error) {
	for range 20 {
		tl, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", fmt.Errorf("pick a local port: %w", err)
		}
		_, port, _ := net.SplitHostPort(tl.Addr().String())
		ul, err := net.ListenPacket("udp", "127.0.0.1:"+port)
		tl.Close()
		if err == nil {
			ul.Close()
			return port, nil
		}
	}
	return "", errors.New("pick a local port: no port free for both TCP and UDP")
}
