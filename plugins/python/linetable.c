/* SPDX-License-Identifier: MIT */
/*
 * plugins/python/linetable: instruction offset -> line, for the three
 * formats CPython has had (Objects/lnotab_notes.txt of each version):
 *  - co_lnotab, up to 3.9: (byte offset delta u8, line delta s8) pairs;
 *  - co_linetable of 3.10: (byte range length u8, line delta s8) pairs,
 *    -128 for "no line";
 *  - the location table from 3.11: entries of a header byte (bit 7 set,
 *    code in bits 3-6, length-1 in code units in bits 0-2) and varints.
 */
#include "config.h"
#include "pyframes.h"

int pyf_line_lnotab(const uint8_t *t, size_t n, int firstlineno, int off)
{
	int line = firstlineno, addr = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		addr += t[i];
		if (addr > off)
			break;
		line += (int8_t)t[i + 1];
	}
	return line;
}

int pyf_line_310(const uint8_t *t, size_t n, int firstlineno, int off)
{
	int line = firstlineno, start, end = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2) {
		int8_t ld = (int8_t)t[i + 1];

		start = end;
		end += t[i];
		if (ld != -128)
			line += ld;
		if (start <= off && off < end)
			return ld == -128 ? -1 : line;
	}
	return -1;
}

/* A varint of the location table: 6-bit chunks, bit 6 says more follow. */
static int varint(const uint8_t *t, size_t n, size_t *i, unsigned *out)
{
	unsigned v = 0, shift = 0;
	uint8_t b;

	do {
		if (*i >= n || shift > 28)
			return -1;
		b = t[(*i)++];
		v |= (unsigned)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	*out = v;
	return 0;
}

static int svarint(const uint8_t *t, size_t n, size_t *i, int *out)
{
	unsigned u;

	if (varint(t, n, i, &u))
		return -1;
	*out = (u & 1) ? -(int)(u >> 1) : (int)(u >> 1);
	return 0;
}

int pyf_line_311(const uint8_t *t, size_t n, int firstlineno, int off)
{
	int line = firstlineno, addr = 0;
	size_t i = 0;

	if (off < 0)
		return firstlineno; /* before the first instruction: the def line */
	while (i < n) {
		uint8_t h = t[i++];
		int code = (h >> 3) & 15, len = (h & 7) + 1, delta = 0, has_line = 1;

		if (!(h & 128))
			return -1; /* not at an entry's first byte: a corrupt table */
		switch (code) {
		case 15: /* no location */
			has_line = 0;
			break;
		case 14: /* long form: line delta, end line, column, end column */
		case 13: /* no columns: line delta */
			if (svarint(t, n, &i, &delta))
				return -1;
			break;
		case 10:
		case 11:
		case 12: /* one line form: line delta, then column and end column bytes */
			delta = code - 10;
			break;
		default: /* short form: same line */
			break;
		}
		/* skip the rest of the entry: up to the next header byte */
		while (i < n && !(t[i] & 128))
			i++;
		line += delta;
		if (off >= addr && off < addr + len)
			return has_line ? line : -1;
		addr += len;
	}
	return -1;
}
