/* expo/json: JSON string escaping. See expo/json.h. */
#include "expo/json.h"

#include <stdint.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void json_strn(struct strbuf *sb, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	sb_putc(sb, '"');
	while (i < n) {
		unsigned char c = s[i];
		size_t len;

		if (c == '"' || c == '\\') {
			sb_putc(sb, '\\');
			sb_putc(sb, (char)c);
			i++;
			continue;
		}
		if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f) {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			sb_put(sb, esc, sizeof(esc));
			i++;
			continue;
		}
		len = utf8_len(s + i, n - i);
		if (len == 0) {
			sb_puts(sb, "\\ufffd");
			i++;
			continue;
		}
		sb_put(sb, (const char *)s + i, len);
		i += len;
	}
	sb_putc(sb, '"');
}

void json_str(struct strbuf *sb, const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	json_strn(sb, s, n);
}

void json_key(struct strbuf *sb, const char *key)
{
	json_str(sb, key);
	sb_putc(sb, ':');
}
