"""``python -m xueji_lib.apps.voila_main …``: Voila, with one fix for a known upstream bug.

Voila 0.5 shuts a page's kernel down when the page is closed by a beacon POST to /voila/api/shutdown/<id>
that carries the ``_xsrf`` cookie — but the page handler never sets that cookie, so the POST is refused
(403 "'_xsrf' argument missing from POST", voila-dashboards/voila#1458) and every closed page leaves its
kernel (150–350 MB) running until the idle cull. Here the page handler reads ``xsrf_token`` (which sets
the cookie) before rendering; XSRF protection itself stays on. Everything else is Voila unchanged.
"""

from __future__ import annotations

import inspect
import sys


def patch_voila() -> None:
    from voila.handler import VoilaHandler

    if getattr(VoilaHandler, "_xueji_xsrf_cookie", False):
        return
    original = VoilaHandler.prepare

    async def prepare(self):
        result = original(self)
        if inspect.isawaitable(result):
            await result
        self.xsrf_token  # noqa: B018 - reading it sets the _xsrf cookie the shutdown beacon sends back

    VoilaHandler.prepare = prepare
    VoilaHandler._xueji_xsrf_cookie = True


def main() -> None:
    patch_voila()
    from voila.app import main as voila_main

    sys.exit(voila_main())


if __name__ == "__main__":
    main()
