// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent // import "github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"

import "go.opentelemetry.io/collector/pdata/pcommon"

// The string lists of an event. A scan keeps the ones it reads as Go
// strings (Event.strs) until setAttributes makes them the record's lists
// at their size: a pcommon.Slice made while reading regrows as it goes, is
// then moved into the record. The lists are almost always strings only
// (groups, IPs); one that is not is read into its pcommon.Slice field.
type listID uint8

const (
	listUserGroups listID = iota
	listImpersonatedGroups
	listSourceIPs
	numLists
)

// strList is where a list is in Event.strs; ok is false when the list is
// in its pcommon.Slice field instead (or absent).
type strList struct {
	start, end int32
	ok         bool
}

// scannedList is the list as the scan kept it, if it did.
func (ev *Event) scannedList(id listID) ([]string, bool) {
	l := ev.lists[id]
	if !l.ok {
		return nil, false
	}
	return ev.strs[l.start:l.end], true
}

// listField is the pcommon.Slice field of a list.
func (ev *Event) listField(id listID) *pcommon.Slice {
	switch id {
	case listUserGroups:
		return &ev.User.Groups
	case listImpersonatedGroups:
		return &ev.ImpersonatedUser.Groups
	default:
		return &ev.SourceIPs
	}
}

// materializeLists moves the scanned lists into their pcommon.Slice
// fields, for a reader of the Event's fields.
func (ev *Event) materializeLists() {
	for id := range numLists {
		strs, ok := ev.scannedList(id)
		if !ok {
			continue
		}
		sl := emptySlice
		if len(strs) > 0 {
			sl = pcommon.NewSlice()
			appendStrs(sl, strs)
		}
		*ev.listField(id) = sl
		ev.lists[id] = strList{}
	}
	ev.strs = nil
}

func appendStrs(sl pcommon.Slice, strs []string) {
	sl.EnsureCapacity(sl.Len() + len(strs))
	for _, s := range strs {
		sl.AppendEmpty().SetStr(s)
	}
}

// list reads the value of a list member into ev: its strings into strs,
// or, for a list that holds anything else, into its pcommon.Slice field.
// Anything but an array reads as an empty list, as on the map path.
func (s *scanner) list(ev *Event, id listID) {
	field := ev.listField(id)
	*field, ev.lists[id] = emptySlice, strList{}
	l := &s.l
	if l.peek() != '[' {
		l.skip()
		return
	}
	l.open('[')
	if ev.strs == nil {
		// Room for what an event's lists hold as a rule: a user's
		// groups and one source IP.
		ev.strs = make([]string, 0, 8)
	}
	start := len(ev.strs)
	var mixed pcommon.Slice
	isMixed := false // an item is not a string: the list as the map path reads it
	for first := true; l.more(']', first); first = false {
		isStr := l.peek() == '"'
		if !isMixed && !isStr {
			isMixed, mixed = true, pcommon.NewSlice()
			appendStrs(mixed, ev.strs[start:])
			ev.strs = ev.strs[:start]
		}
		switch {
		case !isMixed:
			ev.strs = append(ev.strs, s.str())
		case isStr:
			mixed.AppendEmpty().SetStr(s.str())
		default:
			s.value(mixed.AppendEmpty())
		}
	}
	if isMixed {
		*field = mixed
		return
	}
	ev.lists[id] = strList{start: int32(start), end: int32(len(ev.strs)), ok: true}
}

// putList puts a list of the event into attrs, if it has items: the
// scan's strings at their size, or the pcommon.Slice field, moved when the
// event owns it.
func putList(attrs pcommon.Map, key string, ev *Event, id listID) {
	if strs, ok := ev.scannedList(id); ok {
		if len(strs) > 0 {
			appendStrs(attrs.PutEmptySlice(key), strs)
		}
		return
	}
	putSlice(attrs, key, *ev.listField(id), ev.owned)
}

// listLen is the number of items of a list.
func (ev *Event) listLen(id listID) int {
	if strs, ok := ev.scannedList(id); ok {
		return len(strs)
	}
	return ev.listField(id).Len()
}

// firstSourceIP is the first source IP when it is a string.
func (ev *Event) firstSourceIP() (string, bool) {
	if ips, ok := ev.scannedList(listSourceIPs); ok {
		if len(ips) == 0 {
			return "", false
		}
		return ips[0], true
	}
	if ev.SourceIPs.Len() == 0 || ev.SourceIPs.At(0).Type() != pcommon.ValueTypeStr {
		return "", false
	}
	return ev.SourceIPs.At(0).Str(), true
}

// sourceIPCount is the number of source IPs.
func (ev *Event) sourceIPCount() int {
	if ips, ok := ev.scannedList(listSourceIPs); ok {
		return len(ips)
	}
	return ev.SourceIPs.Len()
}
