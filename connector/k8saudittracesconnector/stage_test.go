// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8saudittracesconnector

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

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
