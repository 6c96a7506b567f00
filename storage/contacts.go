package storage

import (
	"fmt"
	"slices"
)

// Contact returns the contact for peer, or ErrNotFound.
func (tx *Tx) Contact(peer string) (ContactInfo, error) {
	var c ContactInfo
	if err := getJSON(tx.txn, contactKey(peer), &c); err != nil {
		return ContactInfo{}, err
	}
	return c, nil
}

// PutContact stores c under c.UserID.
func (tx *Tx) PutContact(c ContactInfo) error {
	if c.UserID == "" {
		return fmt.Errorf("put contact: empty user id")
	}
	return setJSON(tx.txn, contactKey(c.UserID), c)
}

// DeleteContact removes the contact for peer (no error when absent).
func (tx *Tx) DeleteContact(peer string) error {
	if err := tx.txn.Delete(contactKey(peer)); err != nil {
		return fmt.Errorf("delete contact %s: %w", peer, err)
	}
	return nil
}

// Contacts lists every contact, friends and blocked strangers alike, in
// peer ID order.
func (tx *Tx) Contacts() ([]ContactInfo, error) {
	var out []ContactInfo
	err := scanJSON(tx, []byte(prefixContact), func(c ContactInfo) (bool, error) {
		out = append(out, c)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	return out, nil
}

// HasLabel reports whether the contact carries label.
func (c ContactInfo) HasLabel(label string) bool { return slices.Contains(c.Labels, label) }
