package storage

import (
	"errors"
	"fmt"
	"slices"
)

// Contact returns the contact for peer, or ErrNotFound.
func (tx *Tx) Contact(peer string) (ContactInfo, error) {
	if c, ok := tx.contacts[peer]; ok {
		if c == nil {
			return ContactInfo{}, ErrNotFound
		}
		return cloneContact(*c), nil
	}
	if c, ok := tx.w.contact(peer); ok {
		tx.cacheContact(peer, c)
		if c == nil {
			return ContactInfo{}, ErrNotFound
		}
		return cloneContact(*c), nil
	}
	var c ContactInfo
	err := getJSON(tx.txn, contactKey(peer), &c)
	if errors.Is(err, ErrNotFound) {
		tx.cacheContact(peer, nil)
	}
	if err != nil {
		return ContactInfo{}, err
	}
	tx.cacheContact(peer, &c)
	return cloneContact(c), nil
}

// cacheContact remembers a contact (nil: absent) for the rest of the
// transaction: a burst of sends checks the same friend each time.
func (tx *Tx) cacheContact(peer string, c *ContactInfo) {
	if tx.contacts == nil {
		tx.contacts = make(map[string]*ContactInfo)
	}
	tx.contacts[peer] = c
}

func cloneContact(c ContactInfo) ContactInfo {
	c.Labels = slices.Clone(c.Labels)
	c.Addrs = slices.Clone(c.Addrs)
	return c
}

// PutContact stores c under c.UserID.
func (tx *Tx) PutContact(c ContactInfo) error {
	if c.UserID == "" {
		return fmt.Errorf("put contact: empty user id")
	}
	c = cloneContact(c)
	if err := setJSON(tx.txn, contactKey(c.UserID), c); err != nil {
		return err
	}
	tx.cacheContact(c.UserID, &c)
	return nil
}

// DeleteContact removes the contact for peer (no error when absent).
func (tx *Tx) DeleteContact(peer string) error {
	if err := tx.txn.Delete(contactKey(peer)); err != nil {
		return fmt.Errorf("delete contact %s: %w", peer, err)
	}
	tx.cacheContact(peer, nil)
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
