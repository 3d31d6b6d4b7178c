"""``python -m xueji_lib.apps.voila_main …``: Voila as ``xueji dashboard`` runs it, with what it needs to be safe.

- The shutdown beacon. Voila 0.5 shuts a page's kernel down when the page is closed by a beacon POST to
  /voila/api/shutdown/<id> that carries the ``_xsrf`` cookie — but the page handler never sets that cookie,
  so the POST is refused (403 "'_xsrf' argument missing from POST", voila-dashboards/voila#1458) and every
  closed page leaves its kernel (150–350 MB) running until the idle cull. Here the page handler reads
  ``xsrf_token`` (which sets the cookie) before rendering; XSRF protection itself stays on.
- The token comes from the environment (``XUEJI_DASHBOARD_TOKEN``, removed from the environment before any
  kernel starts), never from the command line, which every local user can read in /proc/<pid>/cmdline.
- The port: no silent move to another one. A busy port is refused with a Chinese message and exit 2; the
  addresses are printed only once the server answers on its port (with the token only on a terminal;
  otherwise into an owner-only file in the cache).
- The log: every line goes through ``redact`` (the token, query strings, cookies) — a 404 with
  ``?token=…&q=<身份证号>`` is logged as ``?…``.
- Identity headers: ``X-Remote-User`` / ``X-Forwarded-For`` are believed only from a peer listed in
  ``XUEJI_TRUSTED_PROXIES`` (``xueji dashboard --trusted-proxy``). The page's kernel gets what the server
  decided as ``X-Xueji-User`` / ``X-Xueji-Client`` (a client's own headers of those names are replaced).
- ``/logout`` clears the login cookie and says 已退出 (Voila's own handler needs a template it lacks: 500).
- Chinese pages: the home page lists the dashboards (学生查询, 名单对比) with one line each, in place of Voila's
  English file tree; the login, logout and error pages (jupyter_server's templates, and Voila's 404 page)
  are the package's own Chinese templates (``xueji_lib/apps/templates``), searched before the installed ones;
  the error pages of the static-file handlers and of an address no handler serves are the same Chinese page,
  and a failing dashboard cell says so in Chinese. The login form is jupyter_server's, unchanged (the token in
  the field ``password``, with the ``_xsrf`` field): only its words are Chinese.
- The kernel pool under a burst (``patch_pool``): a page takes a kernel that is already preheated when there is
  one (Voila takes the oldest pool entry, which after a burst is a refill still starting while others are
  ready), and a used kernel is replaced once no page has been opened for ``fill_delay`` seconds, not at once:
  ten users opening pages together are served by the pool instead of sharing two cores with ten kernels
  starting behind them. When a page takes the last preheated kernel, one refill starts as soon as the processors
  are free; a page that finds none preheated or starting starts a pending refill at once.
"""

from __future__ import annotations

import asyncio
import errno
import inspect
import ipaddress
import logging
import os
import re
import sys
from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from voila.app import Voila

T = TypeVar("T")
TOKEN_ENV = "XUEJI_DASHBOARD_TOKEN"
TRUSTED_ENV = "XUEJI_TRUSTED_PROXIES"
USER_HEADER, CLIENT_HEADER = "X-Xueji-User", "X-Xueji-Client"
IDENTITY_HEADERS = ("X-Remote-User", "X-Forwarded-For", "X-Real-IP", USER_HEADER, CLIENT_HEADER)
TOKEN_USER = "令牌用户"

_QUERY = re.compile(r"\?[^\s\"'<>]*")
_SECRET_FIELD = re.compile(r"(?i)(token|_xsrf|password|authorization)(\s*[=:]\s*|\"\s*:\s*\")(token\s+)?[^\s&\"',;]+")
_COOKIE = re.compile(r"(?i)(\"?cookie\"?\s*[:=]\s*\"?)[^\"\n]*")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` without the given secrets, query strings (``?token=…&q=…`` → ``?…``), token/password fields
    and cookie values."""
    for s in secrets:
        if s:
            text = text.replace(s, "…")
    text = _QUERY.sub("?…", text)
    text = _SECRET_FIELD.sub(lambda m: m.group(1) + m.group(2) + "…", text)
    return _COOKIE.sub(lambda m: m.group(1) + "…", text)


class RedactingFilter(logging.Filter):
    """A handler/logger filter: the record's message formatted, redacted (``redact``) and frozen."""

    def __init__(self, secrets: tuple[str, ...] = ()):
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as its template
            message = str(record.msg)
        record.msg, record.args = redact(message, self.secrets), None
        if record.exc_info and not record.exc_text:  # the traceback as the formatter would write it, redacted
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


LOGGERS = ("", "Voila", "tornado", "tornado.access", "tornado.application", "tornado.general", "ServerApp", "traitlets")


def install_redaction(secrets: tuple[str, ...]) -> RedactingFilter:
    """The filter on every handler of the known loggers and on the loggers themselves (a record is redacted
    wherever it is handled), and on the handlers traitlets creates later (``Application._log_default``)."""
    filt = RedactingFilter(secrets)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if filt not in logger.filters:
            logger.addFilter(filt)
        for h in logger.handlers:
            if filt not in h.filters:
                h.addFilter(filt)
    return filt


def _addr(text: str):
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def trusted_proxies() -> list:
    """The networks named in ``XUEJI_TRUSTED_PROXIES`` (comma separated addresses or networks)."""
    out = []
    for part in os.environ.get(TRUSTED_ENV, "").split(","):
        if part.strip():
            out.append(ipaddress.ip_network(part.strip(), strict=False))
    return out


def identity(peer: str, headers: Mapping[str, str], proxies: list) -> tuple[str, str]:
    """(user, client) of a request from socket peer ``peer``: from a trusted proxy, its X-Remote-User and the
    nearest untrusted address of X-Forwarded-For (read from the right: what the proxies appended); from
    anyone else, 令牌用户 and the peer — whatever headers they sent."""

    def trusted(a) -> bool:
        return a is not None and any(a in net for net in proxies)

    if not trusted(_addr(peer)):
        return TOKEN_USER, peer
    client = peer
    for hop in reversed((headers.get("X-Forwarded-For") or "").split(",")):
        a = _addr(hop)
        if a is None:
            break
        client = str(a)
        if not trusted(a):
            break
    return (headers.get("X-Remote-User") or "").strip() or TOKEN_USER, client


def patch_voila() -> None:
    from voila.handler import VoilaHandler

    if getattr(VoilaHandler, "_xueji_patched", False):
        return
    original = VoilaHandler.prepare
    proxies = trusted_proxies()

    async def prepare(self):
        result = original(self)
        if inspect.isawaitable(result):
            await result
        self.xsrf_token  # noqa: B018 - reading it sets the _xsrf cookie the shutdown beacon sends back
        user, client = identity(self.request.remote_ip or "", self.request.headers, proxies)
        for h in IDENTITY_HEADERS:
            if h in self.request.headers:
                del self.request.headers[h]
        if user != TOKEN_USER:  # a header value as tornado holds it (its bytes read as latin-1)
            self.request.headers[USER_HEADER] = user
        self.request.headers[CLIENT_HEADER] = client

    VoilaHandler.prepare = prepare
    VoilaHandler._xueji_patched = True


QUIET_MAX_S = 60  # a refill waits at most this long for a quiet moment


class _PoolClock:
    """When a page last took a kernel from a pool, and the refills waiting for a quiet moment (pool entry →
    the event that starts it at once)."""

    last_request = 0.0
    waiting: dict = {}
    soon: set = set()  # refills to start as soon as the processors are free (the pool has nothing else ready)


async def wait_quiet(delay: float, aw: Awaitable[T]) -> T:
    """Voila's ``wait_before`` for a pool refill: wait for a quiet moment — no page opened for ``delay``
    seconds and the processors less than half busy over the last second (the pages of a burst are still
    being drawn and run), at most ``QUIET_MAX_S`` — or until a page needs this kernel (``_PoolClock.waiting``
    holds the event that says so), then start it."""
    import time

    import psutil

    task = asyncio.current_task()
    if delay > 0 and task is not None:
        event = _PoolClock.waiting[task] = asyncio.Event()
        give_up = time.monotonic() + QUIET_MAX_S
        before = psutil.cpu_times()
        try:
            while not event.is_set() and time.monotonic() < give_up:
                try:
                    await asyncio.wait_for(event.wait(), timeout=1.0)
                except TimeoutError:
                    pass
                now = psutil.cpu_times()
                total = sum(now) - sum(before)
                busy = 1 - (now.idle - before.idle) / total if total > 0 else 0.0
                before = now
                quiet = time.monotonic() - _PoolClock.last_request >= delay or task in _PoolClock.soon
                if quiet and busy < 0.5:
                    break
        finally:
            _PoolClock.waiting.pop(task, None)
            _PoolClock.soon.discard(task)
    return await aw


def _start_now(pool: list) -> asyncio.Task | None:
    """The oldest entry of ``pool`` still waiting for a quiet moment, started at once."""
    for entry in pool:
        event = _PoolClock.waiting.get(entry)
        if event is not None:
            event.set()
            return entry
    return None


def _start_soon(pool: list) -> None:
    """The oldest entry of ``pool`` still waiting, started once the processors are free (not waiting for the
    pages to stop coming): the next user finds a kernel ready without it competing with pages being drawn."""
    for entry in pool:
        if entry in _PoolClock.waiting:
            _PoolClock.soon.add(entry)
            return


def _preheated(task: asyncio.Task) -> bool:
    """A pool entry whose kernel has run the page up to ``wait_for_request`` (it waits on the request
    websocket): a page given it renders at once."""
    from voila.request_info_handler import RequestInfoSocketHandler

    if not task.done() or task.cancelled() or task.exception() is not None:
        return False
    return task.result().get("kernel_id") in RequestInfoSocketHandler._waiters


def patch_pool() -> None:
    """Voila's pool manager with ``get_rendered_notebook`` taking a preheated kernel first and refills
    waiting for a quiet moment (``wait_quiet``)."""
    import time

    import voila.app
    import voila.voila_kernel_manager as vkm

    if getattr(vkm, "_xueji_patched", False):
        return
    vkm.wait_before = wait_quiet
    from voila.request_info_handler import RequestInfoSocketHandler

    opened = RequestInfoSocketHandler.open

    def open_and_log(self, kernel_id: str) -> None:
        opened(self, kernel_id)
        logging.getLogger("Voila").info("Kernel %s is preheated", kernel_id)

    RequestInfoSocketHandler.open = open_and_log
    factory = voila.app.voila_kernel_manager_factory

    def xueji_factory(*args, **kwargs):
        base = factory(*args, **kwargs)
        if not hasattr(base, "get_rendered_notebook"):  # preheating off: nothing to change
            return base

        class XuejiPoolManager(base):
            async def get_rendered_notebook(self, notebook_name: str, *args, **kwargs):
                _PoolClock.last_request = time.monotonic()
                pool = self._pools.get(notebook_name) or []
                ready = [t for t in pool if _preheated(t)]
                starting = [t for t in pool if not _preheated(t) and t not in _PoolClock.waiting]
                # Voila takes pool[0]: a preheated kernel, else one already starting, else a waiting refill
                # started now
                chosen = ready[0] if ready else starting[0] if starting else _start_now(pool)
                if chosen is not None:
                    pool.remove(chosen)
                    pool.insert(0, chosen)
                left = len(ready) + len(starting) - (chosen is not None and chosen not in _PoolClock.waiting)
                result = await super().get_rendered_notebook(notebook_name, *args, **kwargs)
                if left <= 0:  # none left preheated or on its way: one refill as soon as the processors are free
                    _start_soon(self._pools.get(notebook_name) or [])
                return result

        XuejiPoolManager.__name__ = base.__name__
        return XuejiPoolManager

    voila.app.voila_kernel_manager_factory = xueji_factory
    vkm._xueji_patched = True


TEMPLATE_DIR = Path(__file__).with_name("templates")
# the home page's line for each dashboard shipped with xueji (another notebook is listed by its name alone)
PAGE_LINES = {
    "学生查询": "按姓名、身份证号、考生号、学号或学籍号找学生，看他在数据目录各个文件中的记录、照片和校验发现",
    "名单对比": "两份名单对比：录取与注册核对、两个学期的花名册对比、毕业生去向；可上传文件，结果可下载为工作簿",
    "组合查询": "按任意字段设条件（等于、属于、包含、范围、为空），加上校验有误、疑似重复、疑似流失等标记，即时计数、分页查看，"
    "结果可导出 Excel，查询可保存",
    "统计": "交叉统计：选名单和行、列字段（学校×年级、民族×学校、户籍×学校…），人数与其中女，合计核对，可下载 Excel",
}


def chinese_templates(settings: dict) -> None:
    """The package's Chinese templates (login, logout, error, 404, home) searched first by the server's jinja
    environments: jupyter_server's (``jinja2_env``: login, logout, error pages) and Voila's
    (``voila_jinja2_env``: its page handler's error pages). Their names are not used by Voila's page templates,
    so the dashboards themselves are unchanged."""
    import jinja2

    ours = jinja2.FileSystemLoader(str(TEMPLATE_DIR))
    seen: set[int] = set()
    for key in ("jinja2_env", "voila_jinja2_env"):
        env = settings.get(key)
        if env is not None and id(env) not in seen:
            seen.add(id(env))
            env.loader = jinja2.ChoiceLoader([ours, env.loader])


def error_page(settings: Mapping, status_code: int) -> str:
    """The Chinese error page for ``status_code`` (404.html, else error.html) from the server's environment."""
    import jinja2

    env = settings.get("jinja2_env")
    if env is None:
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True)
    try:
        template = env.get_template(f"{status_code}.html")
    except jinja2.TemplateNotFound:
        template = env.get_template("error.html")
    return template.render(status_code=status_code, base_url=settings.get("base_url", "/"))


def patch_static_errors() -> None:
    """The static-file handlers (tornado's StaticFileHandler: /voila/files/…, /voila/static/…, /voila/templates/…)
    answer an error with the Chinese error page instead of tornado's English one."""
    import tornado.web

    if getattr(tornado.web.StaticFileHandler, "_xueji_patched", False):
        return

    def write_error(self, status_code: int, **kwargs) -> None:
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(error_page(self.settings, status_code))

    tornado.web.StaticFileHandler.write_error = write_error
    tornado.web.StaticFileHandler._xueji_patched = True


CELL_ERROR_ZH = "页面运行到第 {n} 步时出错，没能全部显示。请记下时间告诉看板的管理员（原因记在看板的运行日志中）。"


def patch_cell_errors() -> None:
    """A dashboard cell that fails shows one Chinese sentence (Voila's is English and names its options);
    no traceback either way (show_tracebacks stays off)."""
    from voila.execute import VoilaExecutor

    if getattr(VoilaExecutor, "_xueji_patched", False):
        return

    def strip_code_cell_errors(self, cell):
        if cell["cell_type"] != "code":
            return cell
        for output in cell["outputs"]:
            if output["output_type"] == "error":
                output["ename"], output["evalue"] = "页面出错", ""
                output["traceback"] = [CELL_ERROR_ZH.format(n=cell.get("execution_count") or "?")]
        return cell

    VoilaExecutor.strip_code_cell_errors = strip_code_cell_errors
    VoilaExecutor._xueji_patched = True


def _page_handlers(root_dir: str):
    """(home page handler, handler of any address no other handler serves)."""
    from jupyter_server.auth.decorator import allow_unauthenticated
    from jupyter_server.base.handlers import JupyterHandler
    from tornado import web

    ORDER = {name: i for i, name in enumerate(PAGE_LINES)}

    class HomeHandler(JupyterHandler):
        """The dashboards, one line each (Voila's tree page is an English file list)."""

        @web.authenticated
        def get(self, path: str = ""):
            if path.strip("/"):
                raise web.HTTPError(404)
            pages = [
                {"name": p.stem, "file": p.name, "what": PAGE_LINES.get(p.stem, "")}
                for p in sorted(Path(root_dir).glob("*.ipynb"), key=lambda p: (ORDER.get(p.stem, len(ORDER)), p.stem))
                if not p.name.startswith(".")
            ]
            self.set_header("Cache-Control", "no-store")
            self.finish(self.render_template("home.html", pages=pages))

    class NotFoundHandler(JupyterHandler):
        """An address no handler serves: the Chinese 404 page (tornado's default is an English one)."""

        @allow_unauthenticated
        def get(self, *args, **kwargs):
            raise web.HTTPError(404)

        head = post = put = delete = patch = options = get

    return HomeHandler, NotFoundHandler


def _logout_handler():
    from jupyter_server.auth.decorator import allow_unauthenticated
    from jupyter_server.base.handlers import JupyterHandler

    class LogoutHandler(JupyterHandler):
        """Clears the login cookie and says so (logout.html, in Chinese)."""

        @allow_unauthenticated
        def get(self):
            self.identity_provider.clear_login_cookie(self)
            self.set_header("Content-Type", "text/html; charset=UTF-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(self.render_template("logout.html"))

    return LogoutHandler


def announce(app: Voila, token: str) -> None:
    """The addresses of the pages, printed once the server answers on its port."""
    base = f"http://127.0.0.1:{app.port}"
    pages = sorted(p.stem for p in Path(app.root_dir).glob("*.ipynb"))
    on_terminal = sys.stdout.isatty()
    shown = token if on_terminal else "<令牌>"
    lines = [f"  首页     {base}/?token={{t}}"] + [f"  {p} {base}/voila/render/{p}.ipynb?token={{t}}" for p in pages]
    print("\n看板已启动，在浏览器中打开（地址中含访问令牌，请勿转发给无权查看的人）：", flush=True)
    print("\n".join(ln.format(t=shown) for ln in lines), flush=True)
    cache = os.environ.get("XUEJI_CACHE_DIR")
    if not on_terminal and cache:  # a log file or a service journal: the token goes to an owner-only file
        path = Path(cache, "看板地址.txt")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        if os.name == "posix":  # a file left by an earlier run with other permissions (Windows: no fchmod)
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(ln.format(t=token).strip() for ln in lines) + "\n")
        print(f"  （<令牌> 见只有本人可读的文件 {path}）", flush=True)
    print(f"审计日志：{os.environ.get('XUEJI_AUDIT_LOG', '')}；按 Ctrl+C 停止。", flush=True)


def _listen(app: Voila, token: str) -> None:
    """Voila's ``listen`` without moving to another port: the port asked for, or exit 2 with a message; the
    addresses printed once a request to the server is answered."""
    import tornado.ioloop

    try:
        app.app.listen(app.port, app.ip)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            msg = f"端口 {app.port} 已被占用（可能已有一个看板或其他程序在用它）：请用 --port 换一个端口"
        elif exc.errno == errno.EACCES:
            msg = f"没有权限使用端口 {app.port}：请用 --port 换一个 1024 以上的端口"
        else:
            msg = f"看板无法在端口 {app.port} 上启动：{exc.strerror}"
        print(msg, file=sys.stderr, flush=True)
        try:
            app.stop()
        except Exception:  # noqa: BLE001,S110 - nothing was started that must be stopped
            pass
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(2)  # no kernel was started; the pool's pending start-up tasks are dropped without noise
    app.log.info("Voilà is running at:\n%s", app.display_url)

    async def check_then_announce():
        from tornado.httpclient import AsyncHTTPClient

        url = f"http://127.0.0.1:{app.port}/login"
        for _ in range(50):
            try:
                await AsyncHTTPClient().fetch(url, raise_error=False, request_timeout=5)
            except Exception:  # noqa: BLE001 - not answering yet
                await asyncio.sleep(0.2)
            else:
                announce(app, token)
                return
        app.log.error("看板没有应答：%s", url)

    app.ioloop = tornado.ioloop.IOLoop.current()
    app.ioloop.add_callback(check_then_announce)
    try:
        app.ioloop.start()
    except KeyboardInterrupt:
        app.log.info("Stopping...")
    finally:
        app.stop()


def main() -> None:
    token = os.environ.pop(TOKEN_ENV, "")  # the kernels this server starts do not inherit it
    secrets = (token,) if token else ()
    filt = install_redaction(secrets)
    patch_voila()
    patch_pool()
    patch_static_errors()
    patch_cell_errors()
    from voila.app import Voila
    from voila.tornado.treehandler import TornadoVoilaTreeHandler

    app = Voila.instance()
    for h in app.log.handlers:
        h.addFilter(filt)
    app.initialize(sys.argv[1:])
    for h in app.log.handlers:
        h.addFilter(filt)
    if token:
        app.token = token
    app.port_retries = 0
    app.listen = lambda: _listen(app, token)
    original_handlers, original_settings = app.init_handlers, app.init_settings

    def init_settings():
        settings = original_settings()
        chinese_templates(settings)
        settings["default_handler_class"] = _page_handlers(app.root_dir)[1]
        return settings

    def init_handlers():
        logout = _logout_handler()
        home = _page_handlers(app.root_dir)[0]
        out = []
        for p, handler, *rest in original_handlers():
            if p.endswith("/logout"):
                out.append((p, logout))
            elif handler is TornadoVoilaTreeHandler:  # the home page and /voila/tree/…
                out.append((p, home))
            else:
                out.append((p, handler, *rest))
        return out

    app.init_settings, app.init_handlers = init_settings, init_handlers
    app.start()


if __name__ == "__main__":
    main()
