package mailparse

import (
	"html"
	"strings"
)

// HTMLToText reduces an HTML body to readable plain text: tags are dropped,
// block elements become line breaks, script/style/head content disappears and
// entities are decoded. It is deliberately a tokenizer, not a renderer: the
// output is only ever shown as text, so nothing in the HTML can execute.
func HTMLToText(s string) string {
	var sb strings.Builder
	skip := "" // the element whose content is being skipped, e.g. "script"
	for len(s) > 0 {
		lt := strings.IndexByte(s, '<')
		if lt < 0 {
			if skip == "" {
				sb.WriteString(html.UnescapeString(s))
			}
			break
		}
		if skip == "" {
			sb.WriteString(html.UnescapeString(s[:lt]))
		}
		s = s[lt:]
		if strings.HasPrefix(s, "<!--") {
			end := strings.Index(s, "-->")
			if end < 0 {
				break
			}
			s = s[end+3:]
			continue
		}
		gt := strings.IndexByte(s, '>')
		if gt < 0 {
			break // an unterminated tag: drop it rather than show markup
		}
		tag := s[1:gt]
		s = s[gt+1:]
		closing := strings.HasPrefix(tag, "/")
		name := strings.ToLower(strings.TrimLeft(tag, "/"))
		if i := strings.IndexAny(name, " \t\r\n/"); i >= 0 {
			name = name[:i]
		}
		if skip != "" {
			if closing && name == skip {
				skip = ""
			}
			continue
		}
		switch name {
		case "script", "style", "head", "title":
			if !closing {
				skip = name
			}
		case "li":
			// Only the opening tag breaks the line, so items stay adjacent.
			if !closing {
				sb.WriteString("\n- ")
			}
		case "br", "p", "div", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
			"blockquote", "pre", "table", "ul", "ol", "hr":
			sb.WriteByte('\n')
		case "td", "th":
			sb.WriteByte(' ')
		}
	}
	return tidy(sb.String())
}

// tidy collapses the whitespace HTML sources are full of: runs of blanks
// inside a line, blanks at line ends, and more than one empty line in a row.
func tidy(s string) string {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	lines := strings.Split(strings.ReplaceAll(s, "\r", ""), "\n")
	out := make([]string, 0, len(lines))
	blank := 0
	for _, l := range lines {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
