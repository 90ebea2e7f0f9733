// Package cache stores computed answers: keys that cover everything an
// answer depends on, a bounded in-memory tier over go-cache, layering over
// durable tiers, and coalescing of identical work in flight.
package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"slices"
)

// Key identifies one answer. It is a SHA-256 digest; build it with NewKey.
type Key [sha256.Size]byte

// String is the key in hex, as stored by durable tiers.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// ParseKey reads a key written by String.
func ParseKey(s string) (Key, bool) {
	var k Key
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(k) {
		return Key{}, false
	}
	copy(k[:], b)
	return k, true
}

// Parts is everything an answer depends on. Any change to any part, a
// prompt file included, gives a different key.
type Parts struct {
	Task       string            // e.g. "translate", "summarize"
	Text       string            // the normalized input
	Options    map[string]string // request options that change the answer
	Model      string
	PromptHash string // hash of the prompt files the task uses
}

// NewKey hashes the parts with length prefixes, so that no two different
// sets of parts can produce the same byte stream.
func NewKey(p Parts) Key {
	h := sha256.New()
	field(h, "dragoman/v1")
	field(h, p.Task)
	field(h, p.Model)
	field(h, p.PromptHash)
	names := make([]string, 0, len(p.Options))
	for name := range p.Options {
		names = append(names, name)
	}
	slices.Sort(names)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(names)))
	h.Write(n[:])
	for _, name := range names {
		field(h, name)
		field(h, p.Options[name])
	}
	field(h, p.Text)
	var k Key
	h.Sum(k[:0])
	return k
}

func field(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}
