// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRequestIDs(t *testing.T) {
	traceID, spanID := RequestIDs("e7cede17-afcb-464d-9d16-b2d4498e5d0e")
	assert.Equal(t, "e7cede17afcb464d9d16b2d4498e5d0e", traceID.String(), "a UUID audit ID is the trace ID")
	assert.False(t, spanID.IsEmpty())

	again, spanAgain := RequestIDs("e7cede17-afcb-464d-9d16-b2d4498e5d0e")
	assert.Equal(t, traceID, again)
	assert.Equal(t, spanID, spanAgain)

	otherTrace, otherSpan := RequestIDs("e7cede17-afcb-464d-9d16-b2d4498e5d0f")
	assert.NotEqual(t, traceID, otherTrace)
	assert.NotEqual(t, spanID, otherSpan)

	for _, id := range []string{"client-chosen-id", "", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", "00000000-0000-0000-0000-000000000000"} {
		tr, sp := RequestIDs(id)
		assert.False(t, tr.IsEmpty(), id)
		assert.False(t, sp.IsEmpty(), id)
	}
}

func BenchmarkRequestIDs(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		RequestIDs("e7cede17-afcb-464d-9d16-b2d4498e5d0e")
	}
}
