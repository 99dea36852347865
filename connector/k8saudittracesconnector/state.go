// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector // import "github.com/otelcol-k8saudit/otelcol-k8saudit/connector/k8saudittracesconnector"

import "time"

// pendingSet holds the requests waiting for their final stage, in a map and
// in a list ordered by arrival. The TTL is the same for all, so the oldest
// is always the first to expire, and the one evicted when the set is full.
type pendingSet struct {
	byKey      map[reqKey]*request
	head, tail *request
}

func newPendingSet() pendingSet {
	return pendingSet{byKey: make(map[reqKey]*request)}
}

func (p *pendingSet) len() int { return len(p.byKey) }

func (p *pendingSet) get(k reqKey) *request { return p.byKey[k] }

// oldest is the request that arrived first, nil when empty.
func (p *pendingSet) oldest() *request { return p.head }

func (p *pendingSet) push(r *request) {
	p.byKey[r.key] = r
	r.prev, r.next = p.tail, nil
	if p.tail != nil {
		p.tail.next = r
	} else {
		p.head = r
	}
	p.tail = r
}

func (p *pendingSet) remove(r *request) {
	delete(p.byKey, r.key)
	if r.prev != nil {
		r.prev.next = r.next
	} else {
		p.head = r.next
	}
	if r.next != nil {
		r.next.prev = r.prev
	} else {
		p.tail = r.prev
	}
	r.prev, r.next = nil, nil
}

// rememberedSet is a bounded set of the requests whose span was emitted,
// each kept for a window: a re-sent or late record of one is a duplicate.
// When full, the oldest is forgotten first. Times are kept as offsets from
// the first one, so that its map and queue hold no pointers: with 200,000
// requests remembered, the garbage collector need not scan them.
type rememberedSet struct {
	window time.Duration
	max    int

	base time.Time // the arrival clock's origin, set by the first add
	at   map[reqKey]time.Duration
	// order is a FIFO of what was added, oldest at head.
	order []remembered
	head  int
}

type remembered struct {
	key reqKey
	at  time.Duration
}

func newRememberedSet(window time.Duration, maxEntries int) rememberedSet {
	return rememberedSet{window: window, max: maxEntries, at: make(map[reqKey]time.Duration)}
}

func (s *rememberedSet) len() int { return len(s.at) }

func (s *rememberedSet) has(k reqKey) bool {
	_, ok := s.at[k]
	return ok
}

// since is now on the set's clock.
func (s *rememberedSet) since(now time.Time) time.Duration {
	if s.base.IsZero() {
		s.base = now
	}
	return now.Sub(s.base)
}

// add remembers k and returns how many were forgotten early to make room.
func (s *rememberedSet) add(k reqKey, now time.Time) (forgotten int) {
	for len(s.at) >= s.max && s.head < len(s.order) {
		if s.popOldest() {
			forgotten++
		}
	}
	at := s.since(now)
	s.at[k] = at
	s.order = append(s.order, remembered{key: k, at: at})
	return forgotten
}

// forget removes k, so that its records make a span again.
func (s *rememberedSet) forget(k reqKey) { delete(s.at, k) }

// expire forgets what was remembered for the whole window.
func (s *rememberedSet) expire(now time.Time) {
	cur := s.since(now)
	for s.head < len(s.order) && cur-s.order[s.head].at >= s.window {
		s.popOldest()
	}
}

// popOldest drops the head of the queue and reports whether it was still
// remembered (not forgotten, nor added again since).
func (s *rememberedSet) popOldest() bool {
	e := s.order[s.head]
	s.order[s.head] = remembered{}
	s.head++
	live := false
	if at, ok := s.at[e.key]; ok && at == e.at {
		delete(s.at, e.key)
		live = true
	}
	// Reclaim the consumed head once it is half the queue.
	if s.head > 1024 && s.head*2 >= len(s.order) {
		n := copy(s.order, s.order[s.head:])
		clear(s.order[n:])
		s.order = s.order[:n]
		s.head = 0
	}
	return live
}
