// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector // import "github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector"

import (
	"math"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// attrSnapshot is a pending request's own copy of its records' attributes.
// Tens of thousands of requests wait at once (a watch lasts minutes), so the
// copy is two pointer-free allocations, its keys and strings in one text and
// its entries in one slice, where a pcommon.Map costs a heap object per value
// that every garbage collection marks for as long as the request waits. The
// strings are copies: a receiver may slice them from the event's whole text,
// which the request must not keep alive.
type attrSnapshot struct {
	text string
	ents []snapEntry
	// rest holds the rare values that are not strings, numbers, booleans or
	// lists of strings (maps, bytes, mixed lists), copied as they are.
	rest []pcommon.Value
}

type snapKind uint8

const (
	snapEmpty snapKind = iota
	snapStr
	snapInt
	snapDouble
	snapBool
	// snapStrList is followed by num entries of kind snapStr, without keys.
	snapStrList
	// snapRest is rest's value at index num.
	snapRest
)

// snapEntry is 24 bytes: a string's span shares num, which no string
// needs (50,000 waiting requests of some 27 entries each).
type snapEntry struct {
	key  textSpan
	num  uint64 // a string's span, an int's or a double's bits, a bool, a list's length, a rest index
	kind snapKind
}

// strEntry is a list item: a string without a key.
func strEntry(t textSpan) snapEntry {
	e := snapEntry{kind: snapStr}
	e.setStr(t)
	return e
}

func (e *snapEntry) setStr(t textSpan) { e.num = uint64(t.off)<<32 | uint64(t.n) }

func (e *snapEntry) str() textSpan { return textSpan{off: uint32(e.num >> 32), n: uint32(e.num)} }

// textSpan is a string of the snapshot's text, by offset and length; for
// a key, one of sharedKeys instead when off has sharedBit set.
type textSpan struct{ off, n uint32 }

func (s *attrSnapshot) at(t textSpan) string { return s.text[t.off : t.off+t.n] }

func (s *attrSnapshot) key(t textSpan) string {
	if t.off&sharedBit != 0 {
		return sharedKeys[t.off&^sharedBit]
	}
	return s.at(t)
}

// sharedKeys are the keys the receiver, the file source and the processor
// put, in the order they put them: a snapshot refers to them instead of
// copying them, which spares about 450 of the 950 bytes of text a waiting
// request holds.
var sharedKeys = [...]string{
	auditevent.AttrAuditID, auditevent.AttrStage, auditevent.AttrLevel, auditevent.AttrVerb,
	auditevent.AttrHTTPRequestMethod, auditevent.AttrURLPath, auditevent.AttrURLQuery,
	auditevent.AttrUserName, auditevent.AttrUserID, auditevent.AttrUserGroup,
	auditevent.AttrImpersonatedUserName, auditevent.AttrImpersonatedUserGroups,
	auditevent.AttrClientAddress, auditevent.AttrSourceIPs, auditevent.AttrUserAgent,
	auditevent.AttrHTTPStatusCode, auditevent.AttrResponseReason,
	auditevent.AttrNamespace, auditevent.AttrResource, auditevent.AttrSubresource,
	auditevent.AttrObjectName, auditevent.AttrObjectUID, auditevent.AttrAPIGroup, auditevent.AttrAPIVersion,
	auditevent.AttrAuthzDecision, auditevent.AttrAuthzReason, auditevent.AttrRequestReceivedTime,
	auditevent.AttrLogFileName,
	auditevent.AttrLatencyMS, auditevent.AttrUserKind, auditevent.AttrUserSANamespace,
	auditevent.AttrUserSAName, auditevent.AttrUserNodeName, auditevent.AttrImpersonated,
	auditevent.AttrImpersonatedUserKind, auditevent.AttrLongRunning, auditevent.AttrOutcome,
	auditevent.AttrRedactedCount,
}

// sharedBit marks a key span that indexes sharedKeys; text offsets stay
// below it (the receiver cuts events at 16 MiB).
const sharedBit = 1 << 31

// next is the index of the entry after entry i and its list items.
func (s *attrSnapshot) next(i int) int {
	if s.ents[i].kind == snapStrList {
		return i + 1 + int(s.ents[i].num)
	}
	return i + 1
}

func (s *attrSnapshot) has(key string) bool {
	for i := 0; i < len(s.ents); i = s.next(i) {
		if s.key(s.ents[i].key) == key {
			return true
		}
	}
	return false
}

// merge puts m's attributes into the snapshot: where both have a key, m's
// value wins when later is set and the snapshot's stays otherwise. The
// snapshot's keys keep their order, and m's new keys follow in theirs.
func (s *attrSnapshot) merge(m pcommon.Map, later bool) {
	b := snapBuilder{shared: sharedCursor()}
	b.grow(len(s.text)+mapTextBytes(m), len(s.ents)+mapEntries(m))
	for i := 0; i < len(s.ents); i = s.next(i) {
		key := s.key(s.ents[i].key)
		if later {
			if v, ok := m.Get(key); ok {
				b.put(key, v)
				continue
			}
		}
		b.copyEntry(s, i)
	}
	for k, v := range m.All() {
		if !s.has(k) {
			b.put(k, v)
		}
	}
	*s = b.snapshot()
}

// writeTo puts the snapshot's attributes into dst; with fill, only those
// whose key dst does not have yet (few, as a rule: dst is then the final
// record's, which has most of an earlier stage's, in the same order).
func (s *attrSnapshot) writeTo(dst pcommon.Map, fill bool) {
	var buf [32]string
	var had keyCursor
	if fill {
		had = keysOf(dst, buf[:0])
	} else {
		dst.EnsureCapacity(dst.Len() + len(s.ents))
	}
	for i := 0; i < len(s.ents); i = s.next(i) {
		e := &s.ents[i]
		key := s.key(e.key)
		if fill && had.find(key) {
			continue
		}
		v := dst.PutEmpty(key)
		switch e.kind {
		case snapStr:
			v.SetStr(s.at(e.str()))
		case snapInt:
			v.SetInt(int64(e.num))
		case snapDouble:
			v.SetDouble(math.Float64frombits(e.num))
		case snapBool:
			v.SetBool(e.num != 0)
		case snapStrList:
			list := v.SetEmptySlice()
			list.EnsureCapacity(int(e.num))
			for _, item := range s.ents[i+1 : i+1+int(e.num)] {
				list.AppendEmpty().SetStr(s.at(item.str()))
			}
		case snapRest:
			s.rest[e.num].CopyTo(v)
		}
	}
}

// fillFrom puts into dst the attributes of src whose key dst does not have
// (as writeTo with fill, for attributes not yet copied into a snapshot).
func fillFrom(dst, src pcommon.Map) {
	var buf [32]string
	had := keysOf(dst, buf[:0])
	for k, v := range src.All() {
		if !had.find(k) {
			v.CopyTo(dst.PutEmpty(k))
		}
	}
}

// keysOf is a cursor over m's keys, appended to buf (room for a record's
// keys, on the caller's stack).
func keysOf(m pcommon.Map, buf []string) keyCursor {
	for k := range m.All() {
		buf = append(buf, k)
	}
	return keyCursor{keys: buf}
}

// keyCursor finds keys in a list of keys that mostly come in the list's
// order: each search starts where the last one matched, so that such a
// walk costs one comparison a key where a pcommon.Map.Get costs a scan.
type keyCursor struct {
	keys []string
	next int
}

func (c *keyCursor) find(key string) bool {
	_, ok := c.index(key)
	return ok
}

// index is key's index in the list.
func (c *keyCursor) index(key string) (int, bool) {
	for n := range c.keys {
		i := (c.next + n) % len(c.keys)
		if c.keys[i] == key {
			c.next = i + 1
			return i, true
		}
	}
	return 0, false
}

// sharedCursor finds keys in sharedKeys.
func sharedCursor() keyCursor { return keyCursor{keys: sharedKeys[:]} }

// snapBuilder writes a snapshot into text and entries sized beforehand,
// so that each is one allocation and the text never moves.
type snapBuilder struct {
	text   strings.Builder
	ents   []snapEntry
	rest   []pcommon.Value
	shared keyCursor // keySpan's search of sharedKeys
}

func (b *snapBuilder) grow(textBytes, entries int) {
	b.text.Grow(textBytes)
	b.ents = make([]snapEntry, 0, entries)
}

// keySpan is key's index in sharedKeys, or its copy in the text. Keys
// mostly come in sharedKeys' order, so the cursor makes that one
// comparison a key, as a rule.
func (b *snapBuilder) keySpan(key string) textSpan {
	if i, ok := b.shared.index(key); ok {
		return textSpan{off: sharedBit | uint32(i), n: uint32(len(key))}
	}
	return b.span(key)
}

func (b *snapBuilder) span(s string) textSpan {
	off := b.text.Len()
	b.text.WriteString(s)
	return textSpan{off: uint32(off), n: uint32(len(s))}
}

func (b *snapBuilder) put(key string, v pcommon.Value) {
	e := snapEntry{key: b.keySpan(key)}
	switch v.Type() {
	case pcommon.ValueTypeEmpty:
		e.kind = snapEmpty
	case pcommon.ValueTypeStr:
		e.kind = snapStr
		e.setStr(b.span(v.Str()))
	case pcommon.ValueTypeInt:
		e.kind, e.num = snapInt, uint64(v.Int())
	case pcommon.ValueTypeDouble:
		e.kind, e.num = snapDouble, math.Float64bits(v.Double())
	case pcommon.ValueTypeBool:
		e.kind = snapBool
		if v.Bool() {
			e.num = 1
		}
	case pcommon.ValueTypeSlice:
		if list := v.Slice(); allStrings(list) {
			e.kind, e.num = snapStrList, uint64(list.Len())
			b.ents = append(b.ents, e)
			for _, item := range list.All() {
				b.ents = append(b.ents, strEntry(b.span(item.Str())))
			}
			return
		}
		e.kind, e.num = snapRest, b.putRest(copyOf(v))
	default:
		e.kind, e.num = snapRest, b.putRest(copyOf(v))
	}
	b.ents = append(b.ents, e)
}

func (b *snapBuilder) putRest(v pcommon.Value) uint64 {
	b.rest = append(b.rest, v)
	return uint64(len(b.rest) - 1)
}

// copyOf is a deep copy of v whose strings are copies too.
func copyOf(v pcommon.Value) pcommon.Value {
	c := pcommon.NewValueEmpty()
	copyDetached(v, c)
	return c
}

func copyDetached(v, dst pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		dst.SetStr(strings.Clone(v.Str()))
	case pcommon.ValueTypeSlice:
		src, out := v.Slice(), dst.SetEmptySlice()
		out.EnsureCapacity(src.Len())
		for _, item := range src.All() {
			copyDetached(item, out.AppendEmpty())
		}
	case pcommon.ValueTypeMap:
		src, out := v.Map(), dst.SetEmptyMap()
		out.EnsureCapacity(src.Len())
		for k, item := range src.All() {
			copyDetached(item, out.PutEmpty(strings.Clone(k)))
		}
	default:
		v.CopyTo(dst)
	}
}

// copyEntry copies entry i of s, with its list items.
func (b *snapBuilder) copyEntry(s *attrSnapshot, i int) {
	e := s.ents[i]
	switch e.kind {
	case snapStr:
		e.setStr(b.span(s.at(e.str())))
	case snapRest:
		e.num = b.putRest(s.rest[e.num])
	}
	if e.key.off&sharedBit == 0 {
		e.key = b.span(s.at(e.key))
	}
	b.ents = append(b.ents, e)
	if e.kind == snapStrList {
		for _, item := range s.ents[i+1 : i+1+int(e.num)] {
			b.ents = append(b.ents, strEntry(b.span(s.at(item.str()))))
		}
	}
}

// snapshot is what was written. A merge sizes for both sides but keeps one
// where their keys meet, mostly all of them: the result is then copied to
// its size, not to hold twice the memory for as long as a watch waits.
func (b *snapBuilder) snapshot() attrSnapshot {
	text, ents := b.text.String(), b.ents
	if b.text.Cap() > len(text)+len(text)/4 {
		text = strings.Clone(text)
	}
	if cap(ents) > len(ents)+len(ents)/4 {
		ents = slices.Clone(ents)
	}
	return attrSnapshot{text: text, ents: ents, rest: b.rest}
}

func allStrings(list pcommon.Slice) bool {
	for _, item := range list.All() {
		if item.Type() != pcommon.ValueTypeStr {
			return false
		}
	}
	return true
}

// mapTextBytes bounds the text a snapshot of m takes: its keys that are
// not shared and the strings of its strings and lists.
func mapTextBytes(m pcommon.Map) int {
	n, shared := 0, sharedCursor()
	for k, v := range m.All() {
		if !shared.find(k) {
			n += len(k)
		}
		switch v.Type() {
		case pcommon.ValueTypeStr:
			n += len(v.Str())
		case pcommon.ValueTypeSlice:
			for _, item := range v.Slice().All() {
				if item.Type() == pcommon.ValueTypeStr {
					n += len(item.Str())
				}
			}
		}
	}
	return n
}

// mapEntries bounds the entries a snapshot of m takes.
func mapEntries(m pcommon.Map) int {
	n := m.Len()
	for _, v := range m.All() {
		if v.Type() == pcommon.ValueTypeSlice {
			n += v.Slice().Len()
		}
	}
	return n
}
