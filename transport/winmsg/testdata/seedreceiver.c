/*
 * seedreceiver: the seed article's C# receiver, in C. A visible top-level
 * window whose window procedure records what arrives, one line each:
 *
 *   copydata w=W dwData=D cbData=N text=TEXT hex=HEX
 *       WM_COPYDATA; TEXT is lpData read as an ANSI string, as the C#
 *       receiver's [MarshalAs(UnmanagedType.LPStr)] field does; returns N
 *   user1 w=W l=L        WM_USER+1 (sent or posted); returns W+L
 *   slow ms=MS           WM_USER+2: sleeps MS milliseconds, returns 1
 *
 *   seedreceiver TITLE [hang]
 *
 * It prints "ready hwnd=0x... pid=N" once the window exists. With "hang" it
 * then stops reading messages (its queue fills up, as a hung program's
 * does). It exits when its standard input closes.
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>

#define WM_MY_MESSAGE (WM_USER + 1)
#define WM_SLOW (WM_USER + 2)

static LRESULT CALLBACK wndproc(HWND hwnd, UINT msg, WPARAM w, LPARAM l)
{
	switch (msg) {
	case WM_COPYDATA: {
		COPYDATASTRUCT *cds = (COPYDATASTRUCT *)l;
		const unsigned char *p = (const unsigned char *)cds->lpData;
		printf("copydata w=%lld dwData=%lld cbData=%lu text=%.*s hex=",
			(long long)w, (long long)cds->dwData, cds->cbData,
			(int)strnlen((const char *)p, cds->cbData), (const char *)p);
		for (DWORD i = 0; i < cds->cbData; i++)
			printf("%02x", p[i]);
		printf("\n");
		return (LRESULT)cds->cbData;
	}
	case WM_MY_MESSAGE:
		printf("user1 w=%lld l=%lld\n", (long long)w, (long long)l);
		return (LRESULT)(w + l);
	case WM_SLOW:
		printf("slow ms=%lld\n", (long long)l);
		Sleep((DWORD)l);
		return 1;
	case WM_DESTROY:
		PostQuitMessage(0);
		return 0;
	}
	return DefWindowProcA(hwnd, msg, w, l);
}

/* watchStdin ends the program when its standard input closes. */
static DWORD WINAPI watchStdin(LPVOID arg)
{
	char buf[64];
	HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
	DWORD n;
	while (ReadFile(in, buf, sizeof buf, &n, NULL) && n > 0)
		;
	ExitProcess(0);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: seedreceiver TITLE [hang]\n");
		return 2;
	}
	WNDCLASSA wc = {0};
	wc.lpfnWndProc = wndproc;
	wc.hInstance = GetModuleHandleA(NULL);
	wc.lpszClassName = "SeedReceiver";
	if (!RegisterClassA(&wc)) {
		printf("error registerclass %lu\n", GetLastError());
		return 1;
	}
	HWND hwnd = CreateWindowA("SeedReceiver", argv[1], WS_OVERLAPPEDWINDOW,
		CW_USEDEFAULT, CW_USEDEFAULT, 320, 200, NULL, NULL, wc.hInstance, NULL);
	if (hwnd == NULL) {
		printf("error createwindow %lu\n", GetLastError());
		return 1;
	}
	ShowWindow(hwnd, SW_SHOWNOACTIVATE);
	CreateThread(NULL, 0, watchStdin, NULL, 0, NULL);
	printf("ready hwnd=%p pid=%lu\n", (void *)hwnd, GetCurrentProcessId());
	if (argc > 2 && strcmp(argv[2], "hang") == 0) {
		Sleep(INFINITE);
	}
	MSG m;
	while (GetMessageA(&m, NULL, 0, 0) > 0) {
		TranslateMessage(&m);
		DispatchMessageA(&m);
	}
	return 0;
}
