package zzprobe
import (
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/processor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"testing"
	_ "k8s.io/apiserver/plugin/pkg/audit/webhook"
	_ "k8s.io/apiserver/plugin/pkg/audit/log"
	_ "k8s.io/apiserver/pkg/audit/policy"
	_ "github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	_ "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	_ "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	_ "go.opentelemetry.io/collector/receiver/receivertest"
	_ "gopkg.in/natefinch/lumberjack.v2"
)
func TestX(t *testing.T){}

var (
	_ = connector.NewFactory
	_ = connectortest.NewNopSettings
	_ = processorhelper.NewLogs
	_ = processortest.NewNopSettings
	_ configopaque.String
	_ = processor.NewFactory
	_ = ptracetest.CompareTraces
)
