"""A grid worker's visit through the generated Python bindings (module `closeloop`).

Async API calls are coroutines, run here with asyncio.run. The rules are tested in Rust
(mobile-core/tests/api.rs); these tests check that calls, records, enums and typed errors cross
the Python binding intact. The sync test talks to a real closeloop-server that bindings/test
starts (demo organisation, throwaway data folder) and names in CLOSELOOP_SERVER_URL.
"""

import asyncio
import os
import threading
import time
import uuid

import pytest
from PIL import Image

from closeloop import (
    Answer,
    AnswerKind,
    AnswerOutcome,
    CoreError,
    GasSupply,
    HazardAction,
    HazardLevel,
    HazardQuery,
    HazardStatus,
    InspectionPurpose,
    Jurisdiction,
    NewSite,
    PremisesType,
    SiteProfile,
    SyncListener,
    SyncStage,
    UserIdentity,
    UserRole,
    open_workspace,
)

UTC_PLUS_8 = 8 * 60
EXITS = "fire-law.exits-clear"


def inspector(user_id="wang"):
    return UserIdentity(
        user_id=user_id,
        display_name="王网格员",
        role=UserRole.INSPECTOR,
        org_id="org-1",
        grid_ids=["grid-1"],
        site_ids=[],
        device_id=f"{user_id}-phone",
    )


def restaurant_profile():
    return SiteProfile(
        jurisdiction=Jurisdiction.CHINA,
        premises=PremisesType.RESTAURANT,
        floor_area_m2=300.0,
        storeys=1,
        building_height_m=5.0,
        below_ground=False,
        occupants=120,
        sleepers=0,
        public_gathering_place=True,
        key_fire_safety_unit=False,
        public_institution=False,
        gas=GasSupply.LPG,
        kitchen=True,
        ebike_parking=False,
        ebike_charging=False,
        flammable_goods=False,
        mixed_living=False,
        hydrants=True,
        sprinklers=False,
        fire_alarm=False,
        hazard_level=HazardLevel.MEDIUM,
    )


def restaurant(latitude=30.657, longitude=104.066, grid_id="grid-1"):
    return NewSite(
        grid_id=grid_id,
        name="川菜馆",
        address="成都市锦江区春熙路 1 号",
        latitude=latitude,
        longitude=longitude,
        profile=restaurant_profile(),
    )


def camera_jpeg(path, width, height):
    Image.linear_gradient("L").resize((width, height)).convert("RGB").save(path, "JPEG", quality=85)
    return str(path)


def test_an_inspector_walks_a_restaurant_from_checklist_to_hazard(tmp_path):
    async def visit():
        ws = await open_workspace(str(tmp_path / "ws"), inspector(), UTC_PLUS_8)
        assert len(ws.actor_id()) == 32

        site = await ws.create_site(restaurant())
        assert site.name == "川菜馆"
        assert site.latitude == 30.657
        assert site.profile == restaurant_profile()
        assert [s.id for s in await ws.sites()] == [site.id]

        checklist = await ws.checklist(site.id, InspectionPurpose.FULL_INSPECTION)
        assert checklist.purpose == InspectionPurpose.FULL_INSPECTION
        extinguishers = next(i for i in checklist.items if i.answer.is_COUNT())
        assert isinstance(extinguishers.answer, AnswerKind.COUNT)
        minimum = extinguishers.answer.min
        assert "2A" in extinguishers.requirement and "300 m²" in extinguishers.requirement
        assert extinguishers.why
        citation = extinguishers.citations[0]
        assert "GB 50140" in citation.document
        assert citation.clause == "6.1.1"
        assert citation.verified is True

        inspection_id = await ws.start_inspection(site.id, InspectionPurpose.FULL_INSPECTION)
        locks = "fire-law.exits-not-locked"
        assert await ws.answer_item(inspection_id, locks, Answer.PASS(), "") == AnswerOutcome.PASS()
        failed = await ws.answer_item(inspection_id, EXITS, Answer.FAIL(), "纸箱堵住后门")
        assert failed.is_FAIL()
        ok = await ws.answer_item(inspection_id, extinguishers.id, Answer.COUNT(minimum), "")
        assert ok == AnswerOutcome.PASS()
        too_few = await ws.answer_item(
            inspection_id, extinguishers.id, Answer.COUNT(minimum - 1), ""
        )
        assert isinstance(too_few, AnswerOutcome.FAIL) and too_few.reason

        jpeg = camera_jpeg(tmp_path / "exit.jpg", 1024, 768)
        photo = await ws.attach_photo(inspection_id, EXITS, jpeg)
        assert (photo.width, photo.height) == (1024, 768)
        assert len(photo.sha256) == 64
        assert photo.item_id == EXITS
        assert photo.latitude is None

        inspection = await ws.inspection(inspection_id)
        assert 0 <= time.time() * 1000 - inspection.started_at < 60_000
        assert inspection.signed_off_at is None
        exits = next(i for i in inspection.items if i.item.id == EXITS)
        assert exits.answer == Answer.FAIL()
        assert exits.note == "纸箱堵住后门"
        assert exits.photos == [photo]
        assert inspection.unanswered == len(inspection.items) - 3

        hazard = await ws.raise_hazard(inspection_id, EXITS, "", [])
        assert hazard.summary.status == HazardStatus.REPORTED
        assert hazard.before_photos == [photo.sha256]
        assert hazard.clauses
        assert hazard.summary.deadline > time.time() * 1000

        query = HazardQuery(
            site_id=site.id, statuses=[], open_only=True, overdue_only=False, assigned_to_me=False
        )
        assert await ws.hazards(query) == [hazard.summary]
        assert await ws.hazard(hazard.summary.id) == hazard
        assert await ws.pending_uploads() >= 2

    asyncio.run(visit())


def test_typed_errors_arrive_as_python_exceptions(tmp_path):
    async def visit():
        folder = str(tmp_path / "ws")
        ws = await open_workspace(folder, inspector(), UTC_PLUS_8)
        site = await ws.create_site(restaurant())
        inspection_id = await ws.start_inspection(site.id, InspectionPurpose.PATROL)
        await ws.answer_item(inspection_id, EXITS, Answer.FAIL(), "")

        corrupt = tmp_path / "broken.jpg"
        corrupt.write_bytes(b"\xff\xd8\xff\xe0 truncated")
        with pytest.raises(CoreError.PhotoDamaged) as damaged:
            await ws.attach_photo(inspection_id, None, str(corrupt))
        assert damaged.value.reason

        gif = tmp_path / "meme.gif"
        gif.write_bytes(b"GIF89a" + bytes(16))
        with pytest.raises(CoreError.PhotoUnsupported) as foreign:
            await ws.attach_photo(inspection_id, None, str(gif))
        assert "GIF" in foreign.value.reason

        # A PNG header claiming 100,000 x 100,000 pixels: refused from the header alone.
        huge = tmp_path / "huge.png"
        ihdr = (100_000).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
        huge.write_bytes(b"\x89PNG\r\n\x1a\n" + (13).to_bytes(4, "big") + b"IHDR" + ihdr + bytes(4))
        with pytest.raises(CoreError.PhotoTooLarge) as too_large:
            await ws.attach_photo(inspection_id, None, str(huge))
        assert (too_large.value.width, too_large.value.height) == (100_000, 100_000)
        assert too_large.value.reason

        hazard = await ws.raise_hazard(inspection_id, EXITS, "", [])
        with pytest.raises(CoreError.NotAllowed) as refused:
            await ws.act_on_hazard(hazard.summary.id, HazardAction.ACCEPT(), "", [])
        assert refused.value.rule == "hazard.accept.supervisor_only"

        with pytest.raises(CoreError.InvalidInput) as invalid:
            await ws.create_site(restaurant(longitude=None))
        assert invalid.value.field == "location"

        with pytest.raises(CoreError.NotFound):
            await ws.inspection("insp-nope")

        with pytest.raises(CoreError.WorkspaceInUse):
            await open_workspace(folder, inspector(), UTC_PLUS_8)

        # Every failure is a CoreError, so one except clause covers the whole API.
        with pytest.raises(CoreError):
            await ws.site("site-nope")

    asyncio.run(visit())


def test_a_released_workspace_can_be_opened_again(tmp_path):
    folder = str(tmp_path / "ws")

    async def first():
        ws = await open_workspace(folder, inspector(), UTC_PLUS_8)
        return (await ws.create_site(restaurant(latitude=None, longitude=None))).id

    site_id = asyncio.run(first())  # the workspace object is gone with the coroutine

    async def second():
        ws = await open_workspace(folder, inspector(), UTC_PLUS_8)
        site = await ws.site(site_id)
        assert site.latitude is None
        assert site.profile.premises == PremisesType.RESTAURANT

    asyncio.run(second())


class ProgressLog(SyncListener):
    """What a sync screen keeps: every progress step. Called on a background thread."""

    def __init__(self):
        self.steps = []
        self._lock = threading.Lock()

    def on_progress(self, progress):
        with self._lock:
            self.steps.append(progress)

    def stages(self):
        with self._lock:
            return [p.stage for p in self.steps]


def signed_out(username, grid_ids=()):
    """Who the app opens the workspace as before the first login; login fills in the rest.
    `grid_ids` are the grids a new worker says they work in, so they can work offline at once."""
    return UserIdentity(
        user_id=username,
        display_name=username,
        role=UserRole.INSPECTOR,
        org_id="",
        grid_ids=list(grid_ids),
        site_ids=[],
        device_id=f"{username}-phone-{uuid.uuid4()}",
    )


@pytest.fixture
def server_url():
    url = os.environ.get("CLOSELOOP_SERVER_URL", "")
    if not url:
        pytest.skip("no server: run bindings/test, which starts one for the sync tests")
    return url


def test_an_inspectors_hazard_reaches_the_supervisor_through_the_server(tmp_path, server_url):
    async def day():
        wang = await open_workspace(str(tmp_path / "wang"), signed_out("wang"), UTC_PLUS_8)
        me = await wang.login(server_url, "wang", "wang-demo-pass")
        assert me.role == UserRole.INSPECTOR
        assert me.grid_ids == ["grid-1"]

        # The first sync brings the sites of the inspector's grid, and only those.
        first_sync = ProgressLog()
        first = await wang.sync(first_sync)
        assert first_sync.steps, "the listener was called"
        assert first_sync.stages()[-1] == SyncStage.DONE
        assert first.received > 0
        sites = await wang.sites()
        assert {s.grid_id for s in sites} == {"grid-1"}
        restaurant = next(s for s in sites if s.name.startswith("川菜馆"))

        # Offline work: a failed item with a camera photo, and the hazard it raises.
        inspection_id = await wang.start_inspection(restaurant.id, InspectionPurpose.PATROL)
        await wang.answer_item(inspection_id, EXITS, Answer.FAIL(), "纸箱堵住后门")
        photo = await wang.attach_photo(
            inspection_id, EXITS, camera_jpeg(tmp_path / "exit.jpg", 1024, 768)
        )
        hazard = await wang.raise_hazard(inspection_id, EXITS, "", [])
        assert await wang.pending_uploads() >= 2

        second_sync = ProgressLog()
        pushed = await wang.sync(second_sync)
        assert pushed.uploaded >= 2, pushed
        assert pushed.upload_failures == []
        assert pushed.accepted >= 2 and pushed.accepted == pushed.pushed, pushed
        assert pushed.refused == [] and pushed.push_failures == []
        assert SyncStage.UPLOADING in second_sync.stages()
        assert second_sync.stages()[-1] == SyncStage.DONE
        assert await wang.pending_uploads() == 0
        assert await wang.quarantined() == []

        # The supervisor's phone receives the hazard with its photo.
        li = await open_workspace(str(tmp_path / "li"), signed_out("li"), UTC_PLUS_8)
        assert (await li.login(server_url, "li", "li-demo-pass")).role == UserRole.SUPERVISOR
        progress = ProgressLog()
        await li.sync(progress)
        assert progress.stages()[-1] == SyncStage.DONE
        query = HazardQuery(
            site_id=restaurant.id,
            statuses=[],
            open_only=True,
            overdue_only=False,
            assigned_to_me=False,
        )
        assert hazard.summary.id in [h.id for h in await li.hazards(query)]
        seen = await li.hazard(hazard.summary.id)
        assert seen.summary.status == HazardStatus.REPORTED
        assert seen.before_photos == [photo.sha256]

    asyncio.run(day())


def test_a_wrong_password_is_an_input_error(tmp_path, server_url):
    async def login():
        ws = await open_workspace(str(tmp_path / "ws"), signed_out("wang"), UTC_PLUS_8)
        with pytest.raises(CoreError.InvalidInput) as wrong:
            await ws.login(server_url, "wang", "not-the-password")
        assert wrong.value.field == "password"
        with pytest.raises(CoreError.LoginRequired):
            await ws.sync(ProgressLog())

    asyncio.run(login())


def test_work_done_before_the_first_login_is_taken_on_and_reaches_the_supervisor(
    tmp_path, server_url
):
    async def first_day():
        wang = await open_workspace(
            str(tmp_path / "wang"), signed_out("wang", ["grid-1"]), UTC_PLUS_8
        )
        # No signal yet, never logged in: a new site, its patrol with a photo, a hazard.
        site = await wang.create_site(restaurant())
        inspection_id = await wang.start_inspection(site.id, InspectionPurpose.PATROL)
        await wang.answer_item(inspection_id, EXITS, Answer.FAIL(), "纸箱堵住后门")
        await wang.attach_photo(
            inspection_id, EXITS, camera_jpeg(tmp_path / "exit.jpg", 1024, 768)
        )
        hazard = await wang.raise_hazard(inspection_id, EXITS, "", [])

        me = await wang.login(server_url, "wang", "wang-demo-pass")
        assert me.user_id != "wang" and me.org_id
        assert await wang.quarantined() == [], "all of it is wang's to do"
        report = await wang.sync(ProgressLog())
        assert report.refused == [] and report.upload_failures == [], report
        assert report.accepted >= 4, report

        li = await open_workspace(str(tmp_path / "li"), signed_out("li"), UTC_PLUS_8)
        await li.login(server_url, "li", "li-demo-pass")
        await li.sync(ProgressLog())
        seen = await li.hazard(hazard.summary.id)
        assert seen.summary.site_id == site.id
        assert [e.by for e in seen.timeline] == [me.user_id]
        inspection = await li.inspection(inspection_id)
        assert inspection.inspector == me.user_id

    asyncio.run(first_day())


def test_quarantined_work_is_listed_reapplied_and_dismissed(tmp_path, server_url):
    async def visit():
        # Before the first login the worker names grid-2, which is not theirs on the server.
        wang = await open_workspace(
            str(tmp_path / "wang"), signed_out("wang", ["grid-2"]), UTC_PLUS_8
        )
        site = await wang.create_site(restaurant(grid_id="grid-2"))
        await wang.login(server_url, "wang", "wang-demo-pass")

        held = await wang.quarantined()
        assert sorted(q.doc_id for q in held) == sorted([site.id, f"tasks-{site.id}"])
        for q in held:
            assert q.by_server is False
            assert q.rule == "placement.unknown_grid"
            assert "grid-2" in q.reason
            assert q.kept == []
            assert [p.kind for p in q.held] == ["document"]
            assert q.held[0].rule == "placement.unknown_grid"
        assert await wang.sites() == [], "not guessed into another grid"

        # Still not allowed: the entry comes back with what holds it, and stays listed.
        entry = next(q for q in held if q.doc_id == site.id)
        again = await wang.reapply_quarantined(entry.entry_id)
        assert again.entry_id == entry.entry_id
        assert [p.rule for p in again.held] == ["placement.unknown_grid"]
        assert len(await wang.quarantined()) == 2

        for q in held:
            await wang.dismiss_quarantined(q.entry_id)
        assert await wang.quarantined() == []
        assert (tmp_path / "wang" / "quarantine" / "dismissed" / f"{entry.entry_id}.json").exists()
        with pytest.raises(CoreError.NotFound):
            await wang.dismiss_quarantined(entry.entry_id)

    asyncio.run(visit())
