// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

func keyOf(n int) reqKey {
	var k reqKey
	k.traceID, k.spanID = auditevent.RequestIDs(fmt.Sprint(n))
	return k
}

func TestPendingSetOrder(t *testing.T) {
	p := newPendingSet()
	reqs := make([]*request, 4)
	for i := range reqs {
		reqs[i] = &request{key: keyOf(i)}
		p.push(reqs[i])
	}
	p.remove(reqs[2]) // from the middle
	p.remove(reqs[0]) // the head
	assert.Same(t, reqs[1], p.oldest())
	assert.Nil(t, p.get(keyOf(2)))
	p.remove(reqs[3]) // the tail
	p.push(reqs[0])
	assert.Equal(t, 2, p.len())
	var order []*request
	for r := p.oldest(); r != nil; r = r.next {
		order = append(order, r)
	}
	assert.Equal(t, []*request{reqs[1], reqs[0]}, order)
	p.remove(reqs[1])
	p.remove(reqs[0])
	assert.Nil(t, p.oldest())
	assert.Zero(t, p.len())
}

func TestRememberedSetWindowAndBound(t *testing.T) {
	now := eventEpoch
	s := newRememberedSet(time.Minute, 3)
	assert.Zero(t, s.add(keyOf(1), now))
	assert.True(t, s.has(keyOf(1)))
	now = now.Add(59 * time.Second)
	s.expire(now)
	assert.True(t, s.has(keyOf(1)), "within the window")
	now = now.Add(time.Second)
	s.expire(now)
	assert.False(t, s.has(keyOf(1)), "the window has passed")

	forgotten := 0
	for i := range 10 {
		forgotten += s.add(keyOf(100+i), now)
		require.LessOrEqual(t, s.len(), 3)
	}
	assert.Equal(t, 7, forgotten)
	assert.True(t, s.has(keyOf(109)))
	assert.False(t, s.has(keyOf(100)), "the oldest are forgotten first")

	s.forget(keyOf(109))
	assert.False(t, s.has(keyOf(109)))
	assert.Zero(t, s.add(keyOf(200), now), "a forgotten entry's slot is free")
}

func TestRememberedQueueIsReclaimed(t *testing.T) {
	now := eventEpoch
	s := newRememberedSet(time.Second, 100)
	for i := range 100_000 {
		now = now.Add(time.Millisecond)
		s.expire(now)
		s.add(keyOf(i), now)
	}
	assert.LessOrEqual(t, s.len(), 100)
	assert.Less(t, cap(s.order), 10_000, "the queue does not grow without bound")
}
