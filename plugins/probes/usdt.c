/* SPDX-License-Identifier: MIT */
/*
 * plugins/probes/usdt.c: USDT argument specs -> tracefs fetch args.
 *
 * <sys/sdt.h> records each argument as "[-]SIZE@OPERAND", OPERAND in the
 * assembler's syntax: "%reg", "$imm", "disp(%reg)", "disp(%base,%index,scale)",
 * "sym(%rip)".  The uprobe tracer fetches registers by their pt_regs names
 * (%ax, %r8), immediates as "\imm" and memory as "+disp(%reg)"; the size and
 * sign become the type (s32, u8), which for a register keeps its low bytes --
 * so %eax, %ax and %al are all "%ax" with a 32, 16 or 8-bit type.  Indexed and
 * %rip-relative addressing and the high-byte registers have no tracefs form.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "probes.h"
#include "internal.h"

#if defined(__x86_64__)
/* Every name an SDT operand may use for a register, and its pt_regs name. */
static const struct {
	const char *kernel;
	const char *names[4];
} regs[] = {
	{"ax", {"rax", "eax", "ax", "al"}},	  {"bx", {"rbx", "ebx", "bx", "bl"}},
	{"cx", {"rcx", "ecx", "cx", "cl"}},	  {"dx", {"rdx", "edx", "dx", "dl"}},
	{"si", {"rsi", "esi", "si", "sil"}},	  {"di", {"rdi", "edi", "di", "dil"}},
	{"bp", {"rbp", "ebp", "bp", "bpl"}},	  {"sp", {"rsp", "esp", "sp", "spl"}},
	{"r8", {"r8", "r8d", "r8w", "r8b"}},	  {"r9", {"r9", "r9d", "r9w", "r9b"}},
	{"r10", {"r10", "r10d", "r10w", "r10b"}}, {"r11", {"r11", "r11d", "r11w", "r11b"}},
	{"r12", {"r12", "r12d", "r12w", "r12b"}}, {"r13", {"r13", "r13d", "r13w", "r13b"}},
	{"r14", {"r14", "r14d", "r14w", "r14b"}}, {"r15", {"r15", "r15d", "r15w", "r15b"}},
};

/* The pt_regs name of register @name (without '%', @len chars).  NULL and *unsupported set
 * for a register uprobes cannot read as a value (%ah, %rip, segment and vector registers). */
static const char *reg_name(const char *name, size_t len, int *unsupported)
{
	static const char *const known_bad[] = {"ah", "bh", "ch", "dh", "rip", "eip", "ip",
						"cs", "ds", "es", "fs", "gs",  "ss"};

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		for (int j = 0; j < 4; j++)
			if (strlen(regs[i].names[j]) == len &&
			    strncmp(regs[i].names[j], name, len) == 0)
				return regs[i].kernel;
	*unsupported = 0;
	for (size_t i = 0; i < sizeof(known_bad) / sizeof(known_bad[0]); i++)
		if (strlen(known_bad[i]) == len && strncmp(known_bad[i], name, len) == 0)
			*unsupported = 1;
	if (len > 3 && (strncmp(name, "xmm", 3) == 0 || strncmp(name, "ymm", 3) == 0 ||
			strncmp(name, "st", 2) == 0))
		*unsupported = 1;
	return NULL;
}

/* A whole-string integer (decimal, 0x hex, optional sign). */
static int parse_int(const char *s, size_t len, long long *v)
{
	char buf[32], *end;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*v = strtoll(buf, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

int prb_usdt__arg_to_fetch(const char *spec, const char *name, char *out, size_t outlen)
{
	const char *at = strchr(spec, '@'), *op, *open, *close;
	const char *reg;
	int is_signed = 0, size = 8, unsupported = 0, n;
	long long v;
	char type[8];

	if (at) {
		if (parse_int(spec, (size_t)(at - spec), &v) < 0)
			return -EINVAL;
		is_signed = v < 0;
		size = (int)(v < 0 ? -v : v);
		if (size != 1 && size != 2 && size != 4 && size != 8)
			return -EINVAL;
		op = at + 1;
	} else {
		op = spec; /* SDT v1 notes: no size, a long */
		is_signed = 1;
	}
	snprintf(type, sizeof(type), "%c%d", is_signed ? 's' : 'u', size * 8);
	if (op[0] == '%') {
		if (strchr(op, ':'))
			return -EOPNOTSUPP; /* %fs:8: a segment prefix */
		reg = reg_name(op + 1, strlen(op + 1), &unsupported);
		if (!reg)
			return unsupported ? -EOPNOTSUPP : -EINVAL;
		n = snprintf(out, outlen, "%s=%%%s:%s", name, reg, type);
	} else if (op[0] == '$') {
		if (parse_int(op + 1, strlen(op + 1), &v) < 0)
			return isalpha((unsigned char)op[1]) || op[1] == '_' ? -EOPNOTSUPP
									     : -EINVAL;
		n = snprintf(out, outlen, "%s=\\%lld:%s", name, v, type);
	} else if ((open = strchr(op, '(')) && (close = strchr(open, ')')) && !close[1]) {
		if (memchr(open, ',', (size_t)(close - open)) || strchr(op, ':'))
			return -EOPNOTSUPP; /* (%base,%index,scale), a segment */
		if (open[1] != '%')
			return -EINVAL;
		reg = reg_name(open + 2, (size_t)(close - open - 2), &unsupported);
		if (!reg)
			return unsupported ? -EOPNOTSUPP : -EINVAL;
		v = 0;
		if (open != op && parse_int(op, (size_t)(open - op), &v) < 0)
			/* "sym+8(%rip)" / "sym(%rbx)": a symbol, not a number */
			return isalpha((unsigned char)op[0]) || op[0] == '_' || op[0] == '.'
				       ? -EOPNOTSUPP
				       : -EINVAL;
		n = snprintf(out, outlen, "%s=%c%llu(%%%s):%s", name, v < 0 ? '-' : '+',
			     v < 0 ? -(unsigned long long)v : (unsigned long long)v, reg, type);
	} else if (isalpha((unsigned char)op[0]) || op[0] == '_') {
		return -EOPNOTSUPP; /* an absolute symbol */
	} else {
		return -EINVAL;
	}
	return n < 0 || (size_t)n >= outlen ? -ENAMETOOLONG : 0;
}
#else
int prb_usdt__arg_to_fetch(const char *spec, const char *name, char *out, size_t outlen)
{
	return -EOPNOTSUPP; /* only x86_64 operands are translated so far */
}
#endif

static int append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len - used ? -ENAMETOOLONG : 0;
}

int prb_usdt__fetch_args(const char *args, char *out, size_t outlen, char *bad, size_t badlen)
{
	const char *p = args;
	int dropped = 0, ret;

	if (!outlen || !badlen)
		return -ENAMETOOLONG;
	out[0] = bad[0] = '\0';
	for (unsigned i = 0; (p += strspn(p, " \t")), *p; i++) {
		size_t len = strcspn(p, " \t");
		char spec[128], name[16], fetch[192];

		snprintf(name, sizeof(name), "arg%u", i);
		if (len >= sizeof(spec)) {
			ret = -EINVAL;
		} else {
			memcpy(spec, p, len);
			spec[len] = '\0';
			ret = prb_usdt__arg_to_fetch(spec, name, fetch, sizeof(fetch));
		}
		if (ret == 0) {
			ret = append(out, outlen, "%s%s", *out ? " " : "", fetch);
		} else {
			dropped++;
			ret = append(bad, badlen, "%s%s (%.*s)", *bad ? ", " : "", name, (int)len,
				     p);
		}
		if (ret)
			return ret;
		p += len;
	}
	return dropped;
}
