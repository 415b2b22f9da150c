/*
 * A stand-in for Windows' bcryptprimitives.dll, which Wine 8.0 lacks.
 * Go >= 1.22 calls ProcessPrng from it at start-up; this one fills the
 * buffer with RtlGenRandom (advapi32!SystemFunction036). Test use only.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
