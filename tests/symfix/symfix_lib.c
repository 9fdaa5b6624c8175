/* SPDX-License-Identifier: MIT */
/*
 * libsymfix.so: a shared library with known functions, for
 * tests/test_symbolize (which dlopen()s it and resolves what dlsym() gives).
 */
#define FIXTURE __attribute__((noinline, used))

FIXTURE int symfix_lib_one(int x)
{
	return x * 5 + 2;
}

FIXTURE static int symfix_lib_local(int x)
{
	return symfix_lib_one(x) - 1;
}

FIXTURE int symfix_lib_two(int x)
{
	return symfix_lib_local(x) ^ 3;
}

/* A C function under a C++ mangled name: symfix::lib(int). */
int symfix_lib_cxx(int x) __asm__("_ZN6symfix3libEi");
FIXTURE int symfix_lib_cxx(int x)
{
	return x + 11;
}

/* A label of hand-written assembly: global, no type, no size. */
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
__asm__(".text\n"
	".globl symfix_asm_label\n"
	".p2align 4\n"
	"symfix_asm_label:\n"
	"\tret\n"
	".p2align 4\n");
#endif
