// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// within reports that s's bytes lie in text's memory.
func within(s, text string) bool {
	if s == "" {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	start := uintptr(unsafe.Pointer(unsafe.StringData(text)))
	return p >= start && p < start+uintptr(len(text))
}

// TestRawItemsKeepNoPayloadText: no string of a raw record read from a
// webhook payload shares the payload's memory, which would keep it alive.
func TestRawItemsKeepNoPayloadText(t *testing.T) {
	payload := []byte(`[{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"id-1",` +
		`"stage":"stage-x","requestURI":"/uri?q","verb":"verb-x","userAgent":"agent-x",` +
		`"user":{"username":"user-x","uid":"uid-x","groups":["group-x"]},` +
		`"impersonatedUser":{"username":"imp-x","uid":"imp-uid","groups":["imp-group"]},` +
		`"sourceIPs":["10.9.8.7","10.9.8.6"],` +
		`"objectRef":{"resource":"res-x","namespace":"ns-x","name":"name-x","uid":"ouid-x","apiGroup":"group.x","apiVersion":"v-x","subresource":"sub-x"},` +
		`"responseStatus":{"code":200,"reason":"reason-x"},` +
		`"annotations":{"authorization.k8s.io/decision":"decision-x","authorization.k8s.io/reason":"why-x"},` +
		`"requestReceivedTimestamp":"2026-11-22T13:28:46.771358Z","stageTimestamp":"2026-11-22T13:28:46.771358Z"}]`)
	payload = []byte(strings.Replace(string(payload), `"stage-x"`, `"ResponseComplete"`, 1))
	text := unsafe.String(unsafe.SliceData(payload), len(payload))
	lrs := plog.NewLogRecordSlice()
	c := Converter{RawBody: true}
	counts, err := c.AppendPayload(lrs, payload, testObserved)
	require.NoError(t, err)
	require.Equal(t, Counts{Events: 1}, counts)

	lr := lrs.At(0)
	assert.Equal(t, text[1:len(text)-1], lr.Body().Str())
	assert.False(t, within(lr.Body().Str(), text), "body shares the payload's text")
	n := 0
	var walk func(v pcommon.Value, key string)
	walk = func(v pcommon.Value, key string) {
		switch v.Type() {
		case pcommon.ValueTypeStr:
			n++
			assert.False(t, within(v.Str(), text), "%s shares the payload's text", key)
		case pcommon.ValueTypeSlice:
			for _, e := range v.Slice().All() {
				walk(e, key)
			}
		}
	}
	for k, v := range lr.Attributes().All() {
		walk(v, k)
	}
	assert.Greater(t, n, 25, "every attribute the event yields is checked")
}
