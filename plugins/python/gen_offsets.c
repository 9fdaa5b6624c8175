/* SPDX-License-Identifier: MIT */
/*
 * gen_offsets: prints the offset table entry of plugins/python/offsets.c for
 * the CPython whose headers it is compiled against.  Not part of the build:
 * tests/test_python_offsets.sh compiles it against every installed CPython's
 * headers and checks that the checked-in table says the same.
 *
 *	cc -DPy_BUILD_CORE -I$PREFIX/include/python3.X -I$PREFIX/include/python3.X/internal \
 *		-o gen gen_offsets.c && ./gen
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <stddef.h>
#include <stdio.h>
#if PY_VERSION_HEX >= 0x03080000 && PY_VERSION_HEX < 0x03090000
#include <internal/pycore_pystate.h>
#else
#include <internal/pycore_runtime.h>
#include <internal/pycore_interp.h>
#endif
#if PY_VERSION_HEX >= 0x030b0000
#include <internal/pycore_frame.h>
#include <internal/pycore_code.h>
#else
#include <frameobject.h>
#endif

#define O(t, f) (int)offsetof(t, f)

int main(void)
{
	int v = PY_MAJOR_VERSION * 100 + PY_MINOR_VERSION;

	printf("\t{ .version = %d,\n", v);
	printf("\t  .runtime_interp_head = %d, .interp_next = %d,\n",
	       O(_PyRuntimeState, interpreters.head), O(PyInterpreterState, next));
#if PY_VERSION_HEX >= 0x030b0000
	printf("\t  .interp_tstate_head = %d,\n", O(PyInterpreterState, threads.head));
#else
	printf("\t  .interp_tstate_head = %d,\n", O(PyInterpreterState, tstate_head));
#endif
	printf("\t  .tstate_next = %d, .tstate_thread_id = %d,\n", O(PyThreadState, next),
	       O(PyThreadState, thread_id));
#if PY_VERSION_HEX >= 0x030b0000
	printf("\t  .tstate_native_thread_id = %d,\n", O(PyThreadState, native_thread_id));
#else
	printf("\t  .tstate_native_thread_id = -1,\n");
#endif
#if PY_VERSION_HEX >= 0x030d0000
	printf("\t  .tstate_frame = %d, .cframe_current_frame = -1,\n",
	       O(PyThreadState, current_frame));
#elif PY_VERSION_HEX >= 0x030b0000
	printf("\t  .tstate_frame = %d, .cframe_current_frame = %d,\n", O(PyThreadState, cframe),
	       O(_PyCFrame, current_frame));
#else
	printf("\t  .tstate_frame = %d, .cframe_current_frame = -1,\n", O(PyThreadState, frame));
#endif
#if PY_VERSION_HEX >= 0x030d0000
	printf("\t  .frame_back = %d, .frame_code = %d, .frame_instr = %d, .frame_owner = %d,\n",
	       O(_PyInterpreterFrame, previous), O(_PyInterpreterFrame, f_executable),
	       O(_PyInterpreterFrame, instr_ptr), O(_PyInterpreterFrame, owner));
	printf("\t  .frame_is_entry = -1,\n");
#elif PY_VERSION_HEX >= 0x030c0000
	printf("\t  .frame_back = %d, .frame_code = %d, .frame_instr = %d, .frame_owner = %d,\n",
	       O(_PyInterpreterFrame, previous), O(_PyInterpreterFrame, f_code),
	       O(_PyInterpreterFrame, prev_instr), O(_PyInterpreterFrame, owner));
	printf("\t  .frame_is_entry = -1,\n");
#elif PY_VERSION_HEX >= 0x030b0000
	printf("\t  .frame_back = %d, .frame_code = %d, .frame_instr = %d, .frame_owner = %d,\n",
	       O(_PyInterpreterFrame, previous), O(_PyInterpreterFrame, f_code),
	       O(_PyInterpreterFrame, prev_instr), O(_PyInterpreterFrame, owner));
	printf("\t  .frame_is_entry = %d,\n", O(_PyInterpreterFrame, is_entry));
#else
	printf("\t  .frame_back = %d, .frame_code = %d, .frame_instr = %d, .frame_owner = -1,\n",
	       O(PyFrameObject, f_back), O(PyFrameObject, f_code), O(PyFrameObject, f_lasti));
	printf("\t  .frame_is_entry = -1,\n");
#endif
	printf("\t  .code_filename = %d, .code_name = %d, .code_firstlineno = %d,\n",
	       O(PyCodeObject, co_filename), O(PyCodeObject, co_name),
	       O(PyCodeObject, co_firstlineno));
#if PY_VERSION_HEX >= 0x030b0000
	printf("\t  .code_qualname = %d, .code_linetable = %d, .code_adaptive = %d,\n",
	       O(PyCodeObject, co_qualname), O(PyCodeObject, co_linetable),
	       O(PyCodeObject, co_code_adaptive));
#elif PY_VERSION_HEX >= 0x030a0000
	printf("\t  .code_qualname = -1, .code_linetable = %d, .code_adaptive = -1,\n",
	       O(PyCodeObject, co_linetable));
#else
	printf("\t  .code_qualname = -1, .code_linetable = %d, .code_adaptive = -1,\n",
	       O(PyCodeObject, co_lnotab));
#endif
	printf("\t  .unicode_state = %d, .unicode_length = %d, .ascii_size = %d, "
	       ".compact_size = %d,\n",
	       O(PyASCIIObject, state), O(PyASCIIObject, length), (int)sizeof(PyASCIIObject),
	       (int)sizeof(PyCompactUnicodeObject));
	printf("\t  .bytes_size = %d, .bytes_sval = %d },\n", O(PyVarObject, ob_size),
	       O(PyBytesObject, ob_sval));
	return 0;
}
