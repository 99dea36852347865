// Copyright otelcol-k8saudit authors
// SPDX-License-Identifier: Apache-2.0

package k8sauditreceiver // import "github.com/otelcol-k8saudit/otelcol-k8saudit/receiver/k8sauditreceiver"

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/adapter"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/fileconsumer"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/stanza/split"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/xpdata/pref"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"
	"golang.org/x/text/encoding/unicode"

	"github.com/otelcol-k8saudit/otelcol-k8saudit/internal/auditevent"
)

// Retry bounds for a pipeline that refuses a batch read from a file: the file
// is the buffer, so the reader waits rather than drop what it read. A
// variable only so that the contract test, whose deadline is fixed upstream,
// can shorten the cap.
var (
	retryInitial = 100 * time.Millisecond
	retryMax     = 5 * time.Second
)

// fileSource tails audit log files with contrib's fileconsumer, which tracks
// files by fingerprint across lumberjack's rename-and-create rotation and
// reads gzip'd backups by their decompressed content.
type fileSource struct {
	r            *auditReceiver
	cfg          *FileConfig
	obs          *receiverhelper.ObsReport
	manager      *fileconsumer.Manager
	storage      *undeliveredGuard
	maxEventSize int
}

func newFileSource(r *auditReceiver, cfg *FileConfig) (*fileSource, error) {
	obs, err := newObsReport(r.set, "file")
	if err != nil {
		return nil, err
	}
	s := &fileSource{r: r, cfg: cfg, obs: obs, maxEventSize: int(cfg.MaxEventSize)}

	fc := fileconsumer.NewConfig()
	fc.Include = cfg.Include
	fc.Exclude = cfg.Exclude
	fc.StartAt = cfg.StartAt
	fc.PollInterval = cfg.PollInterval
	fc.MaxConcurrentFiles = cfg.MaxConcurrentFiles
	fc.MaxLogSize = cfg.MaxEventSize
	// Keep the head of an oversized line (where kube-apiserver writes the
	// metadata) and skip the rest, rather than emit it as several fragments.
	fc.MaxLogSizeBehavior = fileconsumer.MaxLogSizeBehaviorTruncate
	// Never emit a line before its newline: kube-apiserver writes each event
	// as one whole line, so text without one is still being written (or, for
	// an oversized line, still being skipped when reading is slow), and a
	// forced flush would split one event into fragments.
	fc.FlushPeriod = 0
	// "auto" fingerprints .gz files by their decompressed content, so a backup
	// that --audit-log-compress gzip'd after rotation matches the checkpoint of
	// the plain file it was and is not read twice.
	fc.Compression = "auto"
	fc.IncludeFileName = true
	// Lines are passed on as read: the decoder replaces invalid UTF-8 itself,
	// so fileconsumer's UTF-8 decoding would only cost a rune-by-rune pass.
	// With the nop encoding fileconsumer would not split lines, so the split
	// function is given explicitly.
	fc.Encoding = "nop"
	splitLines, err := split.NewlineSplitFunc(unicode.UTF8, false)
	if err != nil {
		return nil, err
	}
	s.manager, err = fc.Build(r.set.TelemetrySettings, s.emit, fileconsumer.WithSplitFunc(splitLines))
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (s *fileSource) start(ctx context.Context, host component.Host) error {
	client, err := adapter.GetStorageClient(ctx, host, s.cfg.Storage, s.r.set.ID)
	if err != nil {
		return err
	}
	s.storage = &undeliveredGuard{Client: client}
	return s.manager.Start(s.storage)
}

func (s *fileSource) shutdown() error {
	// Stop saves the read positions through the storage client, so the
	// client is closed after it.
	err := s.manager.Stop()
	if s.storage != nil {
		err = errors.Join(err, s.storage.Close(context.Background()))
	}
	return err
}

// emit is fileconsumer's callback for a batch of lines of one file. Its
// signature changes between fileconsumer releases: keep the adaptation here.
func (s *fileSource) emit(ctx context.Context, tokens [][]byte, attrs map[string]any, _ int64, _ []int64) error {
	logs, lrs := s.r.newLogs(len(tokens))
	observed := auditevent.Now()
	fileName, _ := attrs[auditevent.AttrLogFileName].(string)
	var counts auditevent.Counts
	for _, token := range tokens {
		if len(bytes.TrimSpace(token)) == 0 {
			continue
		}
		if len(token) >= s.maxEventSize {
			counts.Add(s.r.converter.AppendTruncated(lrs, token, s.maxEventSize, observed))
		} else {
			counts.Add(s.r.converter.AppendOwnedEvent(lrs, token, observed))
		}
		if fileName != "" {
			lrs.At(lrs.Len()-1).Attributes().PutStr(auditevent.AttrLogFileName, fileName)
		}
	}
	if lrs.Len() == 0 {
		return nil
	}
	s.r.recordBadInput(ctx, "file", counts, lrs)

	// Counted before: once the pipeline has the batch, it is not ours to read.
	n := lrs.Len()
	obsCtx := s.obs.StartLogsOp(ctx)
	err := s.consume(ctx, logs)
	s.obs.EndLogsOp(obsCtx, dataFormat, n, err)
	return err
}

// consume retries a retryable refusal until the pipeline accepts the batch or
// the source stops: fileconsumer moves past a batch whatever the callback
// returns, so giving up here would lose the lines.
func (s *fileSource) consume(ctx context.Context, ld plog.Logs) error {
	// The batch is ours until the last try: with pdata's pooling (the
	// pdata.useProtoPooling gate), the collector gives a batch's memory back
	// for reuse when the first ConsumeLogs returns, refused or not, unless
	// another reference holds it.
	pref.RefLogs(ld)
	defer pref.UnrefLogs(ld)
	wait := retryInitial
	for {
		err := s.r.next.ConsumeLogs(ctx, ld)
		if err == nil {
			return nil
		}
		if consumererror.IsPermanent(err) {
			s.r.set.Logger.Error("Pipeline permanently refused audit events read from a file; they are dropped",
				zap.Int("records", ld.LogRecordCount()), zap.Error(err))
			return err
		}
		s.r.sampledLogger.Warn("Pipeline refused audit events read from a file; retrying",
			zap.Duration("retry_in", wait), zap.Error(err))
		select {
		case <-ctx.Done():
			// The source is stopping with this batch undelivered: keep the
			// checkpoint where it was so the next start reads it again.
			s.storage.freeze()
			s.r.set.Logger.Warn("Stopped while the pipeline refused audit events read from a file; they will be read again on the next start",
				zap.Int("records", ld.LogRecordCount()))
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, retryMax)
	}
}
