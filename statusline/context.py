"""Context: everything a segment may know, built once per render; costly parts are lazy."""

from __future__ import annotations

import marshal

from statusline import fs
from statusline.index.book import read_session
from statusline.index.lines import file_session_id
from statusline.index.newlines import file_changed
from statusline.index.readback import (
    day_buckets,
    range_buckets,
    session_buckets,
    session_logged_sums,
)
from statusline.index.store import REFRESH_INTERVAL_S, CorruptIndex, Store, meta_int, read_marshal
from statusline.index.today import today_total
from statusline.index.update import group_of, load_group
from statusline.payload import field, number, text, within
from statusline.pricing import Priced, load_compiled, normalise, price_buckets
from statusline.timeutil import (
    HOUR_MS,
    QUARTER_HOUR_MS,
    local_day_bounds_ms,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from statusline.pricing import Bucket, Table

# The render reads at most this much of its own session's new log bytes; the rest is left to
# the background refresh, so no render does unbounded work.
RENDER_READ_BUDGET = 1 << 20
# Until the first full scan is done the background build is reading everything anyway: a render
# takes only a small bite, so the first render over a large history still answers at once.
FIRST_RUN_READ_BUDGET = 1 << 17
# While the index is still being built, renders may start the refresh more often.
CATCH_UP_INTERVAL_S = 10.0
# A stale price table is refreshed in the background; failed attempts are retried at most this
# often (doubling while they keep failing).
PRICING_RETRY_S = 600.0
# Claude Code documents a window's used % as 0-100; the request that crosses the limit still
# completes, so a little more can be a real reading. Past double the limit it is a broken
# payload: shown as unknown, never printed.
MAX_WINDOW_PCT = 200.0
# The live split's file format (attrib/live.py FORMAT, which the refresh writes).
LIVE_FORMAT = 1


def _any_changed(paths: list[str], states: dict[str, list[object]]) -> bool:
    """Whether any file differs (inode, size or mtime) from what the index last read of it."""
    for path in paths:
        try:
            st = fs.stat(path)
        except OSError:
            continue
        if file_changed(states.get(path), st):
            return True
    return False


def _unfinished(states: dict[str, list[object]], paths: list[str]) -> bool:
    """Whether a file ends in a line still being written that the index has not counted.

    File state (index/update.py): [dev, inode, size, offset, mtime, fingerprint, tail length];
    bytes past the offset with no provisionally counted tail are a line not yet whole.
    """
    for path in paths:
        state = states.get(path)
        if state is not None and len(state) > 6 and state[2] > state[3] and not state[6]:  # type: ignore[operator]
            return True
    return False


class Context:
    """The payload plus lazily computed figures (index, prices) for one render.

    `config` is the compiled configuration: the price table in force (layers and overrides)
    and every setting of the config file the render needs, loaded without parsing TOML."""

    __slots__ = (
        "_config",
        "_group",
        "_live",
        "_logged",
        "_session",
        "_today",
        "cache",
        "env",
        "index_age_s",
        "index_error",
        "index_partial",
        "limit_samples",
        "notes",
        "now_s",
        "payload",
        "record",
        "refused",
        "session_current",
        "store",
    )

    def __init__(self, payload: dict[str, object], now_s: float, env: Mapping[str, str], cache: str) -> None:
        self.payload = payload
        self.now_s = now_s
        self.env = env
        self.cache = cache
        self.store = Store(cache)
        self._config: dict[str, object] | None = None
        self.notes: list[str] = []
        self.index_partial = False
        self.limit_samples: list[tuple[float, str, float, float]] = []  # pace.py samples
        self.index_error: OSError | None = None  # the index could not be read or written
        self.refused: str | None = None  # why the cache or config dir is not used (paths.py)
        # False for a preview: it shows the payload and keeps nothing of it (no index of its
        # transcript, no limit sample, no unlogged spend, no git memo, no background job).
        self.record = True
        self.session_current = False  # this session's logs are fully indexed (unlogged needs it)
        self.index_age_s = 0.0  # how old the last full scan of all logs is
        self._group: dict[str, object] | None = None
        self._today: Priced | None = None
        self._logged: tuple[float, float] | None = None
        self._session: tuple[float, str, Priced | None] | None = None
        self._live: dict[str, object] | None = None

    # -- the compiled configuration ---------------------------------------------------------
    @property
    def config(self) -> dict[str, object]:
        """The compiled configuration; recompiled (TOML and all) only after the config changed."""
        if self._config is None:
            self._config = load_compiled(self.cache)
            if self._config is None:
                from statusline.price_table import compile_table

                self._config = compile_table(self.cache)
        return self._config

    @property
    def models(self) -> Table:
        return self.config["models"]  # type: ignore[return-value]

    def price(self, buckets: list[Bucket], at_list: bool = False) -> Priced:
        """Cost at your prices, or (`at_list`) at list prices: the table without your overrides."""
        config = self.config
        families = config.get("families") if config.get("unknown_mode") == "family" else None
        models = (config.get("list_models") if at_list else None) or self.models
        return price_buckets(buckets, models, config.get("aliases"), families)  # type: ignore[arg-type]

    def _pricing_due(self) -> bool:
        config = self.config
        if config.get("offline"):
            return False
        fetched = config.get("fetched_ms")
        age_s = self.now_s - fetched / 1000 if isinstance(fetched, int) else float("inf")
        return age_s > float(config.get("max_age_s", 86400.0)) and self.store.refresh_due(  # type: ignore[arg-type]
            self.now_s, PRICING_RETRY_S, job="pricing"
        )

    # -- payload shortcuts ----------------------------------------------------------------
    def get(self, *path: str) -> object:
        return field(self.payload, *path)

    @property
    def session_id(self) -> str | None:
        return text(self.get("session_id"))

    @property
    def transcript_path(self) -> str | None:
        return text(self.get("transcript_path"))

    @property
    def is_subscription(self) -> bool:
        plan = self.env.get("COSTLINE_PLAN", "").lower()
        if plan in ("api", "subscription"):
            return plan == "subscription"
        # Claude Code sends the 5-hour and 7-day windows to Pro/Max subscribers only. A gateway's
        # spend limit alone means the user pays real money: those are bills, not API-equivalents.
        return isinstance(self.get("rate_limits", "five_hour"), dict) or isinstance(
            self.get("rate_limits", "seven_day"), dict
        )

    # -- the index ------------------------------------------------------------------------
    def _session_files(self, transcript: str) -> list[str]:
        files = [transcript]
        session = self.session_id or file_session_id(transcript)
        folder = fs.join(fs.dirname(transcript), session, "subagents")
        try:
            names = sorted(fs.listdir(folder))
        except OSError:
            return files
        files.extend(fs.join(folder, n) for n in names if n.endswith(".jsonl"))
        return files

    def refresh_index(self) -> None:
        """Index this session's new log lines and start a background refresh when one is due.

        Takes the writers' lock only when there is something to do, and never waits for it.
        """
        store = self.store
        meta = self.index_state()
        if meta is None:
            store.ensure()
            meta = {"rescan_epoch": 0}
        epoch = meta_int(meta, "rescan_epoch")
        transcript = self.transcript_path
        files: list[str] = []
        changed = False
        if transcript and fs.isfile(transcript):
            files = self._session_files(transcript)
            name, session, project = group_of(transcript)
            group_sig = store.group_signature(name)
            self._group = load_group(store, name, session, project, epoch)
            # Bytes left unread (a read that hit its budget, or a line still being written) are
            # read on now, not left for the background refresh: a render's bite is bounded anyway.
            changed = _any_changed(files, self._group["files"]) or self._unfinished(files)  # type: ignore[arg-type]
        interval = CATCH_UP_INTERVAL_S if self.index_partial else REFRESH_INTERVAL_S
        due = store.refresh_due(self.now_s, interval)
        pricing_due = self._pricing_due()
        # Current: every line of the session's files is counted. A line still being written is
        # not: Claude Code has priced its response already, and comparing now would call it
        # unlogged (then count it again once the line ends).
        self.session_current = bool(files) and not changed  # `changed` covers unfinished lines
        if not (changed or due or pricing_due) or not store.lock(blocking=False):
            return  # nothing to do, or another writer is busy: show what the index has
        try:
            if changed and transcript:
                group = self._group
                if group is None or store.group_signature(name) != group_sig:  # changed meanwhile
                    group = load_group(store, name, session, project, epoch)
                budget = FIRST_RUN_READ_BUDGET if self.index_partial else RENDER_READ_BUDGET
                more = read_session(store, name, group, files, budget)
                self._group = group
                self.session_current = not more and not self._unfinished(files)
                if more:
                    self.index_partial = True
            if due or pricing_due:
                from statusline.index import background

                if due:
                    store.mark_refresh_started(self.now_s)
                    self._spawn(background.spawn, None)
                if pricing_due:
                    store.mark_refresh_started(self.now_s, job="pricing")
                    self._spawn(background.spawn, background.pricing_command())
        finally:
            store.unlock()

    def index_state(self) -> dict[str, object] | None:
        """The index's meta (None when there is none yet); notes whether the first full scan is
        done and how old the last one is. Reads only: all a preview does with the index."""
        try:
            meta = self.store.read("meta")
        except CorruptIndex:
            meta = None
        if not isinstance(meta, dict):
            self.index_partial = True
            return None
        full_scan = meta.get("full_scan_ms")
        if not isinstance(full_scan, int):
            self.index_partial = True
        else:
            self.index_age_s = max(0.0, self.now_s - full_scan / 1000)
        return meta

    def _spawn(self, spawn: Callable[[list[str] | None], int], argv: list[str] | None) -> None:
        """Start a background job; a process that cannot be started (EAGAIN at the user's
        process limit) is logged and tried again at the next due time, and this render goes on:
        the index it read is fine, so it is no reason for `$? today`."""
        try:
            spawn(argv)
        except OSError as exc:
            from statusline import log

            log.exception(self.cache, "background job not started", exc)

    def _unfinished(self, files: list[str]) -> bool:
        group = self._group
        states = group.get("files") if group is not None else None
        return isinstance(states, dict) and _unfinished(states, files)

    def indexing_share(self) -> float | None:
        """How much of the first full scan is done (0..1), while one is running and reporting."""
        from statusline.index.store import read_progress

        return read_progress(self.store)

    def _read_group(self, transcript: str) -> dict[str, object] | None:
        try:
            group = self.store.read_group(group_of(transcript)[0])
        except CorruptIndex:
            return None
        return group if isinstance(group, dict) else None

    # -- figures --------------------------------------------------------------------------
    def today(self) -> Priced:
        """Cost of every indexed message dated today in local time."""
        if self._today is None:
            start, end, _ = local_day_bounds_ms(self.now_s)
            try:
                if start % HOUR_MS or end % HOUR_MS:  # a zone off the hour: from the day files
                    self._today = self.price(day_buckets(self.store, start, end))
                else:
                    now_hour = int(self.now_s * 1000) // HOUR_MS
                    # the signature of the table this render prices with, taken when it was read
                    # or written: one taken now could belong to a table compiled since
                    table = self.config.get("table_sig")
                    self._today = today_total(self.store, start, end, now_hour, table, self.price, self.now_s)
            except OSError as exc:
                self.index_error = exc
                self._today = Priced()
        return self._today

    def other_machines(self) -> tuple[float, int, int, str, bool] | None:
        """Other machines' spend today, from the one small file the background sync step folds
        them into (`<cache>/sync/line`; the render never reads the sync folder): (usd, machines
        that spent today, how many of those are stale, the folder's problem, whether some of it
        has no price here: a model this machine cannot price, or a figure that is no number).
        None: sync is off."""
        try:
            doc = marshal.loads(fs.read_private(fs.join(self.cache, "sync", "line")))
        except (OSError, EOFError, ValueError, TypeError):
            return None
        if not isinstance(doc, dict):
            return None
        start, end, _ = local_day_bounds_ms(self.now_s)
        first, last = start // QUARTER_HOUR_MS, (end - 1) // QUARTER_HOUR_MS
        usd, count, stale, unknown = 0.0, 0, 0, False
        try:
            stale_s = float(doc.get("stale_s", 600.0))
            for row in doc.get("machines", ()):
                gaps = row[3] if len(row) > 3 else ()  # its quarter-hours with a model unpriced here
                part, unpriced = 0.0, any(first <= q <= last for q in gaps)
                for q, v in row[2].items():
                    if first <= q <= last:
                        v = float(v)
                        if v - v == 0.0 and v >= 0:  # inf and nan are not (v - v is nan)
                            part += v
                        else:
                            unpriced = True  # never a confident wrong figure
                if part > 0 or unpriced:
                    usd += part
                    count += 1
                    stale += self.now_s - float(row[1]) > stale_s
                    unknown = unknown or unpriced
            problem = doc.get("problem")
        except (TypeError, ValueError, AttributeError, IndexError):
            return None
        return usd, count, stale, problem if isinstance(problem, str) else "", unknown

    def active_block(self) -> tuple[float, int, int, int] | None:
        """(cost, start, first, last entry ms) of the active 5-hour block, as ccusage infers it."""
        now_ms = int(self.now_s * 1000)
        window = 24 * 3_600_000  # enough history to anchor the chain of blocks leading to now
        per_qh: dict[int, list[tuple[int, str, int, list[float]]]] = {}
        for bucket in range_buckets(self.store, now_ms - window, now_ms + 60_000):
            per_qh.setdefault(bucket[0], []).append(bucket)
        start = first = last = prev = 0
        chosen: list[tuple[int, str, int, list[float]]] = []
        for qh in sorted(per_qh):
            items = per_qh[qh]
            lo = min(int(v[7]) for *_, v in items)
            hi = max(int(v[8]) for *_, v in items)
            if not chosen or lo - start > 5 * 3_600_000 or lo - prev > 5 * 3_600_000:
                start, first, chosen = lo - lo % 3_600_000, lo, []
            chosen.extend(items)
            prev = last = max(prev, hi)
        if not chosen or now_ms - last >= 5 * 3_600_000 or now_ms >= start + 5 * 3_600_000:
            return None
        return self.price(chosen).usd, start, first, last

    def cost_since(self, start_ms: int) -> float:
        """Cost from `start_ms` (a local month's or week's start) to now, unlogged spend included."""
        from statusline.index import unlogged

        now_ms = (int(self.now_s * 1000) // QUARTER_HOUR_MS + 1) * QUARTER_HOUR_MS
        logged = self.price(day_buckets(self.store, start_ms, now_ms)).usd
        return logged + sum(unlogged.in_range(self.cache, start_ms, now_ms).values())

    def tokens_per_minute(self, window_ms: int = 30 * 60_000) -> float | None:
        """Input + output tokens per minute over about the last half hour (None when idle)."""
        now_ms = int(self.now_s * 1000)
        buckets = range_buckets(self.store, now_ms - window_ms, now_ms + 60_000)
        if not buckets:
            return None
        first = min(int(v[7]) for *_, v in buckets)
        tokens = sum(v[1] + v[2] for *_, v in buckets)
        return tokens / max((now_ms - first) / 60_000, 1.0)

    def unlogged_today(self) -> float:
        """What Claude Code reported today beyond the transcripts (see index/unlogged.py)."""
        from statusline.index import unlogged

        start, end, _ = local_day_bounds_ms(self.now_s)
        try:
            return sum(unlogged.in_range(self.cache, start, end).values())
        except OSError as exc:
            self.index_error = exc
            return 0.0

    def _logged_buckets(self, group: dict[str, object]) -> list[Bucket]:
        """This session's logged token sums, each priced at its own time when that matters.

        The group's running sums carry no times, so they are priced at now; when a price of one
        of its models changed since the session began (a fetch, a dated override), the session's
        buckets are read from its hour files instead.
        """
        sums = session_logged_sums(self.store, group)
        if not sums:
            return []
        now_ms = int(self.now_s * 1000)
        hours = group.get("hours")
        start_ms = min(hours) * HOUR_MS if isinstance(hours, set) and hours else now_ms
        config = self.config
        aliases = config.get("aliases")
        listed: Table = config.get("list_models") or {}  # type: ignore[assignment]
        # Each model's canonical name once (resolve's spelling), looked up in both tables: a
        # session's sums hold a few models in many price classes.
        names = {normalise(model, aliases)[0] for model, _cls in sums}  # type: ignore[arg-type]
        for table in (self.models, listed):
            for key in names:
                if key in table and any(start_ms < int(p[0]) <= now_ms for p in table[key]):  # type: ignore[call-overload]
                    return session_buckets(self.store, hours, str(group.get("session", "")), copies=True)  # type: ignore[arg-type]
        qh = now_ms // QUARTER_HOUR_MS
        return [(qh, model, cls, vec) for (model, cls), vec in sums.items()]

    def session_logged(self) -> tuple[float, float] | None:
        """(your prices, list prices) of this session's logged messages; None if not indexed."""
        if self._logged is None:
            group = self._group
            if group is None and self.transcript_path:
                group = self._read_group(self.transcript_path)
            if group is None:
                return None
            buckets = self._logged_buckets(group)
            mine = self.price(buckets).usd
            self._logged = (mine, self.price(buckets, at_list=True).usd if self.has_overrides else mine)
        return self._logged

    @property
    def has_overrides(self) -> bool:
        return bool(self.config.get("list_models"))

    def list_to_yours(self) -> float:
        """Your price of a list-price dollar in this session: logged cost at yours ÷ at list."""
        if not self.has_overrides:
            return 1.0
        logged = self.session_logged()
        if logged is None or logged[0] <= 0 or logged[1] <= 0:
            return 1.0
        return logged[0] / logged[1]

    def rate_window(self, window: str) -> tuple[float | None, float | None]:
        """(used %, resets_at) of a subscriber window (`five_hour`, `seven_day`) in the payload;
        None for a percentage no window reads (see MAX_WINDOW_PCT)."""
        return (
            within(self.get("rate_limits", window, "used_percentage"), 0.0, MAX_WINDOW_PCT),
            number(self.get("rate_limits", window, "resets_at")),
        )

    def track_limits(self) -> None:
        """Keep a sample of each subscriber window's used % when it moved (see pace.py)."""
        seen = {}
        for window in ("five_hour", "seven_day"):
            pct, resets = self.rate_window(window)
            if pct is not None and resets is not None and resets > self.now_s:  # past: stale
                seen[window] = (resets, pct)
        if seen:
            from statusline import pace

            if self.record:
                self.limit_samples = pace.record(self.cache, self.now_s, seen)
            else:  # a preview: the pace from what renders recorded, this payload's not added
                self.limit_samples = pace.read_samples(self.cache)

    def track_unlogged(self) -> None:
        """Compare this session's payload cost with its logged cost; record any growth.

        Claude Code prices at list prices, so the payload is compared with the logged tokens at
        list prices, and the gap is recorded at yours (see index/unlogged.py).
        """
        own = number(self.get("cost", "total_cost_usd"))
        session = self.session_id
        if own is None or own < 0 or not session or self._group is None or not self.session_current:
            return  # compare only against a fully indexed session, or logged spend looks unlogged
        logged = self.session_logged()
        if logged is None:
            return
        from statusline.index import unlogged

        unlogged.observe(self.cache, session, own, logged[1], int(self.now_s * 1000), self.list_to_yours())

    def session_cost(self, force_computed: bool = False) -> tuple[float, str, Priced | None] | None:
        """(usd, source, priced) of this session: Claude Code's own figure, else computed."""
        if self._session is None:
            own = number(self.get("cost", "total_cost_usd"))
            if own is not None and own >= 0 and not force_computed:
                self._session = (own, "payload", None)
            elif self.session_id and self.transcript_path:
                group = self._group or self._read_group(self.transcript_path)
                hours = group.get("hours") if group else None
                priced = self.price(
                    session_buckets(self.store, hours if isinstance(hours, set) else set(), self.session_id)
                )
                self._session = (priced.usd, "computed", priced)
        return self._session

    def live_split(self) -> dict[str, object]:
        """This session's cost by agent and tool as the background refresh last wrote it
        (attrib/live.py), plus `behind_s`: when the session's logs changed since, how long ago
        the last refresh ran; {} when there is none (yet) or it cannot be read."""
        if self._live is None:
            self._live = {}
            transcript = self.transcript_path
            if transcript:
                name = group_of(transcript)[0]
                value = read_marshal(self.store.path("live", name))  # None when missing or garbled
                key = value.get("key") if isinstance(value, dict) else None
                if isinstance(value, dict) and value.get("format") == LIVE_FORMAT and isinstance(key, list):
                    # Behind the logs, by as long as the background refresh that would catch up
                    # has not run (as `today` counts other sessions' lag).
                    seen = key[1] if len(key) > 1 and isinstance(key[1], list) else []
                    current = str(self.store.group_signature(name)) in seen
                    value["behind_s"] = 0.0 if current else self.index_age_s
                    self._live = value
        return self._live

    # -- the session's last turn (turn.py: read from the transcript's tail when a segment asks) --
    def last_prompt_tokens(self) -> int | None:
        """Prompt size (input + cache writes + reads) of the transcript's last response."""
        from statusline.turn import last_prompt_tokens

        return last_prompt_tokens(self)

    def cache_expiry_from_log(self) -> float | None:
        """When the prompt cache expires, from the last response's time and its write's TTL."""
        from statusline.turn import cache_expiry_from_log

        return cache_expiry_from_log(self)

    def token_rates(self, prompt_tokens: int) -> dict[str, float] | None:
        """USD per token for the payload's model now, for a request of `prompt_tokens` (turn.py)."""
        from statusline.turn import token_rates

        return token_rates(self, prompt_tokens)

    def _working_dir(self) -> str | None:
        return text(self.get("workspace", "current_dir")) or text(self.get("cwd"))

    def git_branch(self) -> str | None:
        """The working directory's git branch (from `.git/HEAD`; None outside a repository)."""
        where = self._working_dir()
        if not where:
            return None
        from statusline.git import git_head

        return git_head(where)

    def git_is_dirty(self) -> bool:
        """Whether tracked files changed (`git status`, cached; see git.py)."""
        where = self._working_dir()
        if not where:
            return False
        from statusline.git import git_dirty

        return bool(git_dirty(where, self.cache, self.now_s, remember=self.record))

    def context_window_for_model(self) -> int | None:
        """The context window of the payload's model, from the price table (turn.py)."""
        from statusline.turn import context_window_for_model

        return context_window_for_model(self)
