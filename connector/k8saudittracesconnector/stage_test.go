// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// TestBodyEventOfTextMatchesParsedEvent: over the shared mapping inputs
// (v1, v1beta1, truncated and malformed events), reading only the needed
// fields of a raw body gives what decoding the whole event gives, for any
// valid JSON. Malformed text (never a k8s_audit receiver's body) need only
// not break the reader: gjson may read members past the fault.
func TestBodyEventOfTextMatchesParsedEvent(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "internal", "auditevent", "testdata", "mapping", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	texts := []string{"", "null", "[]", `{"stage":`, `{"stage":"ResponseComplete","stageTimestamp":"2026-11-22T13:30:00.5Z","requestObject":{"x":[1,2,{"y":"z"}]},"requestReceivedTimestamp":"2026-11-22T13:30:00Z"}`}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		texts = append(texts, string(b))
	}
	for _, text := range texts {
		want := auditevent.Event{}
		parsed := pcommon.NewValueEmpty()
		got := bodyEvent(pcommon.NewValueStr(text))
		if auditevent.ParseJSON([]byte(text), parsed) != nil {
			continue
		}
		if parsed.Type() == pcommon.ValueTypeMap {
			want = auditevent.FromPartialMap(parsed.Map(), "")
		}
		assert.Equal(t, want.Stage, got.Stage, text)
		assert.Equal(t, want.StageTime, got.StageTime, text)
		assert.Equal(t, want.RequestReceived, got.RequestReceived, text)
	}
	// A truncated event keeps what came before the cut.
	got := bodyEvent(pcommon.NewValueStr(`{"stage":"ResponseStarted","stageTimestamp":"2026-11-22T13:30:00Z","responseObject":{"ki`))
	assert.Equal(t, auditevent.StageResponseStarted, got.Stage)
	assert.False(t, got.StageTime.IsZero())
}

// The receiver's records are read from their attributes, not their bodies:
// for every mapping fixture, in both body formats, the attributes give what
// the body gives, and without k8s.audit.request_received_time they are
// declined (readRecord then reads the body).
func TestAttributeEventMatchesBodyEvent(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "internal", "auditevent", "testdata", "mapping", "*.json*"))
	require.NoError(t, err)
	read := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		lines := [][]byte{b}
		if filepath.Ext(f) == ".jsonl" {
			lines = bytes.Split(bytes.TrimSpace(b), []byte("\n"))
		}
		for _, line := range lines {
			for _, conv := range []auditevent.Converter{{}, {RawBody: true}} {
				lrs := plog.NewLogRecordSlice()
				if conv.AppendEvent(lrs, line, "", 1).Events != 1 {
					continue
				}
				lr := lrs.At(0)
				fromBody := bodyEvent(lr.Body())
				fromAttrs, ok := attributeEvent(lr)
				if fromBody.RequestReceived.IsZero() {
					assert.False(t, ok, "%s: no request time, yet read from attributes", f)
					continue
				}
				require.True(t, ok, "%s", f)
				read++
				assert.Equal(t, fromBody.Stage, fromAttrs.Stage, f)
				assert.True(t, fromBody.StageTime.Equal(fromAttrs.StageTime), "%s: stage time %v, from attributes %v", f, fromBody.StageTime, fromAttrs.StageTime)
				assert.True(t, fromBody.RequestReceived.Equal(fromAttrs.RequestReceived), "%s: request time %v, from attributes %v", f, fromBody.RequestReceived, fromAttrs.RequestReceived)

				lr.Attributes().Remove(auditevent.AttrRequestReceivedTime)
				_, ok = attributeEvent(lr)
				assert.False(t, ok, "%s: read from attributes without the request time", f)
			}
		}
	}
	assert.GreaterOrEqual(t, read, 30)
}
