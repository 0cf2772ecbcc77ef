package httpapi

import _ "embed"

// openAPIDocument is the OpenAPI 3 description of the JSON API, written by
// hand and checked against the route table and real responses by
// openapi_test.go.
//
//go:embed openapi.json
var openAPIDocument []byte
