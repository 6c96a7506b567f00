package identity

import (
	"encoding/json"
	"testing"
)

// FuzzValidate feeds arbitrary bytes to every parser and validator of
// signed records. None may panic, and whatever validates must open.
func FuzzValidate(f *testing.F) {
	alice := newUser(f)
	profile := signProfile(f, alice, sampleProfile(1))
	presence := signPresence(f, alice, samplePresence(1))
	f.Add(profile)
	f.Add(presence)
	f.Add(profile[:len(profile)/2])
	f.Add(flipSignature(presence))
	f.Add([]byte{})
	f.Add([]byte("\x0a\x24\x08\x01\x12\x20"))

	v := NewValidator(fixedNow)
	profileKey, presenceKey := ProfileKey(alice.id), PresenceKey(alice.id)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, perr := OpenProfile(data)
		_, serr := OpenPresence(data)
		if err := v.Validate(profileKey, data); err == nil && perr != nil {
			t.Fatalf("validates as a profile but does not open: %v", perr)
		}
		if err := v.Validate(presenceKey, data); err == nil && serr != nil {
			t.Fatalf("validates as a presence but does not open: %v", serr)
		}
		if i, err := v.Select(profileKey, [][]byte{data, profile}); err != nil || (i != 0 && i != 1) {
			t.Fatalf("Select = %d, %v", i, err)
		}
		if i, err := v.Select(presenceKey, [][]byte{data, presence}); err != nil || (i != 0 && i != 1) {
			t.Fatalf("Select = %d, %v", i, err)
		}
	})
}

// FuzzKeyFile feeds arbitrary bytes to the key file decoder, with and
// without a passphrase. It must never panic.
//
// A file may ask for up to maxScryptWork of scrypt, seconds of work that
// would stall the fuzzer (and end the run with "context deadline
// exceeded"). Such inputs are decoded without a passphrase: every check up
// to the key derivation still runs, the derivation itself does not.
func FuzzKeyFile(f *testing.F) {
	key := mustKey(f)
	plain, err := encodeKeyFile(key, nil, createScrypt)
	if err != nil {
		f.Fatal(err)
	}
	sealed, err := encodeKeyFile(key, []byte("pw"), scryptCost{N: 2, R: 1, P: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(plain, []byte(nil))
	f.Add(sealed, []byte("pw"))
	f.Add(sealed, []byte("wrong"))
	f.Add([]byte(`{"version":1}`), []byte(nil))
	f.Fuzz(func(t *testing.T, data, pass []byte) {
		if expensiveKDF(data) {
			pass = nil
		}
		k, err := decodeKeyFile(data, pass)
		if err == nil && k == nil {
			t.Fatal("nil key without error")
		}
	})
}

// fuzzScryptWork is the most scrypt work (N·r·p) FuzzKeyFile pays for one
// input: about a millisecond.
const fuzzScryptWork = 1 << 12

// expensiveKDF reports whether data parses as a key file whose scrypt
// parameters ask for more than fuzzScryptWork.
func expensiveKDF(data []byte) bool {
	var f keyFile
	if json.Unmarshal(data, &f) != nil || f.KDF == nil {
		return false
	}
	n, r, p := f.KDF.N, f.KDF.R, f.KDF.P
	if n <= 0 || r <= 0 || p <= 0 {
		return false
	}
	return n > fuzzScryptWork/r/p // r·p over the budget leaves 0, so any n is too much
}
