package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"

	"github.com/dfsopt/dfsopt/api"
)

// openAPIJSON returns api/openapi.yaml as JSON, keys in the document's
// order, converted once. A document that does not convert is a build
// defect the tests catch; the process panics at its first use.
var openAPIJSON = sync.OnceValue(func() []byte {
	b, err := OpenAPIJSON(api.OpenAPIYAML)
	if err != nil {
		panic(fmt.Sprintf("api/openapi.yaml: %v", err))
	}
	return b
})

// serveOpenAPI answers GET /openapi.json (no auth, like /health).
func serveOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPIJSON())
}

// OpenAPIJSON converts a YAML OpenAPI document to indented JSON, keeping
// the order of its keys (the order /docs lists operations in). Only the
// JSON-compatible subset of YAML is accepted: string keys, no anchors.
func OpenAPIJSON(doc []byte) ([]byte, error) {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	var root, more yaml.Node
	if err := dec.Decode(&root); err != nil {
		return nil, err
	}
	if err := dec.Decode(&more); err != io.EOF || root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil, fmt.Errorf("not one YAML document")
	}
	var buf bytes.Buffer
	if err := writeJSON(&buf, root.Content[0]); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// writeJSON writes one YAML node as compact JSON.
func writeJSON(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Kind {
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Tag != "!!str" {
				return fmt.Errorf("line %d: key %q is not a string", k.Line, k.Value)
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			kb, _ := json.Marshal(k.Value)
			buf.Write(kb)
			buf.WriteByte(':')
			if err := writeJSON(buf, v); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, v := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, v); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		return writeScalar(buf, n)
	default:
		return fmt.Errorf("line %d: anchors and aliases are not supported", n.Line)
	}
	return nil
}

// writeScalar writes a YAML scalar as the JSON value of its resolved tag.
func writeScalar(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.Tag {
	case "!!str":
		b, _ := json.Marshal(n.Value)
		buf.Write(b)
	case "!!null":
		buf.WriteString("null")
	case "!!bool":
		var v bool
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		buf.WriteString(strconv.FormatBool(v))
	case "!!int", "!!float":
		var v float64
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line %d: %q is not a JSON number", n.Line, n.Value)
		}
		buf.Write(b)
	default:
		return fmt.Errorf("line %d: tag %s has no JSON form", n.Line, n.Tag)
	}
	return nil
}
