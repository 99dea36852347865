// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package auditevent

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// stageTimesAgree fails t unless, for a JSON object, the stage and times
// read from its text, from its map and by FromPartialMap are the same.
func stageTimesAgree(t testing.TB, raw []byte) {
	t.Helper()
	quick := StageTimesOfText(string(raw)) // whatever the text, it must not panic
	body := pcommon.NewValueEmpty()
	if ParseJSON(raw, body) != nil || body.Type() != pcommon.ValueTypeMap {
		return
	}
	if strict := strictStageTimesOfText(string(raw)); quick != strict {
		t.Fatalf("StageTimesOfText = %+v, the strict decoder reads %+v", quick, strict)
	}
	ev := FromPartialMap(body.Map(), "")
	want := StageTimes{Stage: ev.Stage, StageTime: ev.StageTime, RequestReceived: ev.RequestReceived, requestReceivedText: ev.RequestReceivedText}
	if got := StageTimesOfMap(body.Map()); got != want {
		t.Fatalf("StageTimesOfMap = %+v, FromPartialMap gives %+v", got, want)
	}
	if got := StageTimesOfText(string(raw)); got != want {
		t.Fatalf("StageTimesOfText = %+v, FromPartialMap gives %+v", got, want)
	}
}

func TestStageTimes(t *testing.T) {
	inputs, err := filepath.Glob("testdata/mapping/*.json*")
	require.NoError(t, err)
	for _, in := range inputs {
		raw, err := os.ReadFile(in)
		require.NoError(t, err)
		for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
			stageTimesAgree(t, line)
		}
	}
	for name, in := range map[string]string{
		"escaped names":      `{"st\u0061ge":"Panic","stageTimest\u0061mp":"2026-11-22T13:28:46.771358Z"}`,
		"duplicates":         `{"stage":"RequestReceived","stage":"ResponseComplete","metadata":{"creationTimestamp":"2019-01-01T00:00:00Z"},"metadata":1}`,
		"v1beta1":            `{"stage":"ResponseComplete","timestamp":"2019-01-01T00:00:01Z","metadata":{"creationTimestamp":"2019-01-01T00:00:00Z"}}`,
		"creation only":      `{"metadata":{"name":"x","creationTimestamp":"2019-01-01T00:00:00Z"}}`,
		"not strings":        `{"stage":1,"stageTimestamp":{"a":"2019-01-01T00:00:00Z"},"requestReceivedTimestamp":null}`,
		"objects skipped":    `{"requestObject":{"stage":"Panic","stageTimestamp":"2000-01-01T00:00:00Z"},"stage":"ResponseComplete"}`,
		"invalid UTF-8":      "{\"userAgent\":\"\xff\",\"stage\":\"ResponseComplete\",\"stageTimestamp\":\"2026-11-22T13:28:46.771358Z\"}",
		"escaped stage":      `{"stage":"Response\u0043omplete"}`,
		"not an object":      `["stage"]`,
		"unparseable time":   `{"stageTimestamp":"yesterday","timestamp":"2019-01-01T00:00:01Z"}`,
		"escaped meta names": `{"metadata":{"cre\u0061tionTimestamp":"2019-01-01T00:00:00Z"}}`,
		"invalid UTF-8 read": "{\"stage\":\"\xffPanic\"}",
		"lone surrogate":     `{"stage":"\ud800\u0050anic","metadata":{"creationTimestamp":"\udfff"}}`,
		"escaped time":       `{"stageTimestamp":"2026-11-22T13:28:46.771358\u005a"}`,
		"metadata twice":     `{"metadata":{"creationTimestamp":"2019-01-01T00:00:00Z"},"metadata":{"name":"x"}}`,
	} {
		t.Run(name, func(t *testing.T) { stageTimesAgree(t, []byte(in)) })
	}

	// Text cut short keeps what came before the cut.
	got := StageTimesOfText(`{"stage":"ResponseStarted","requestReceivedTimestamp":"2026-11-22T13:28:46.771358Z","requestObject":{"a":`)
	assert.Equal(t, "ResponseStarted", got.Stage)
	assert.Equal(t, time.Date(2026, 11, 22, 13, 28, 46, 771358000, time.UTC), got.RequestReceived)
	assert.True(t, got.StageTime.IsZero())
}
