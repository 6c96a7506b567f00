package storage

import (
	"encoding/json"
	"errors"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// getJSON reads the JSON value at key into v; ErrNotFound when absent.
func getJSON(txn *badger.Txn, key []byte, v any) error {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("get %q: %w", key, err)
	}
	return item.Value(func(b []byte) error {
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("decode %q: %w", key, err)
		}
		return nil
	})
}

// setJSON writes v as JSON at key.
func setJSON(txn *badger.Txn, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", key, err)
	}
	if err := txn.Set(key, b); err != nil {
		return fmt.Errorf("set %q: %w", key, err)
	}
	return nil
}

// scan calls fn with each key and value under prefix, in key order (or
// reverse), until fn returns false or an error. start, when not nil, is
// where iteration begins (inclusive) instead of the prefix's first (or, in
// reverse, last) key. Keys and values are only valid during the call.
func (tx *Tx) scan(prefix, start []byte, reverse bool, fn func(k, v []byte) (bool, error)) error {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = prefix
	opts.Reverse = reverse
	opts.PrefetchValues = false
	it := tx.txn.NewIterator(opts)
	defer it.Close()
	seek := start
	if seek == nil {
		seek = prefix
		if reverse {
			seek = append(append([]byte{}, prefix...), 0xff)
		}
	}
	for it.Seek(seek); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		var more bool
		err := item.Value(func(v []byte) error {
			var err error
			more, err = fn(item.Key(), v)
			return err
		})
		if err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
	return nil
}

// scanJSON decodes each value under prefix into a new T and calls fn.
func scanJSON[T any](tx *Tx, prefix []byte, fn func(T) (bool, error)) error {
	return tx.scan(prefix, nil, false, func(k, v []byte) (bool, error) {
		var t T
		if err := json.Unmarshal(v, &t); err != nil {
			return false, fmt.Errorf("decode %q: %w", k, err)
		}
		return fn(t)
	})
}

func isNotFound(err error) bool { return errors.Is(err, badger.ErrKeyNotFound) }

func jsonUnmarshal(k, v []byte, out any) error {
	if err := json.Unmarshal(v, out); err != nil {
		return fmt.Errorf("decode %q: %w", k, err)
	}
	return nil
}
