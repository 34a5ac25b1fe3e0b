// A grid worker's visit, called the way the Android app calls the core: suspend functions from a
// coroutine, Kotlin data classes, sealed classes and enums in and out. The rules themselves are
// tested in Rust (mobile-core/tests/api.rs); these tests check that they arrive intact in Kotlin.
package app.closeloop.example

import app.closeloop.core.Answer
import app.closeloop.core.AnswerKind
import app.closeloop.core.AnswerOutcome
import app.closeloop.core.HazardQuery
import app.closeloop.core.HazardStatus
import app.closeloop.core.InspectionPurpose
import app.closeloop.core.PremisesType
import app.closeloop.core.openWorkspace
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import kotlin.test.assertEquals
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

class InspectionFlowTest {
    @TempDir
    lateinit var dir: File

    @Test
    fun `an inspector walks a restaurant from checklist to hazard`() = runBlocking<Unit> {
        openWorkspace(File(dir, "ws").path, inspector(), UTC_PLUS_8).use { ws ->
            assertEquals(32, ws.actorId().length)

            val site = ws.createSite(restaurant())
            assertEquals("川菜馆", site.name)
            assertEquals(30.657, site.latitude)
            assertEquals(restaurantProfile(), site.profile, "the profile round-trips through the records")
            assertEquals(listOf(site.id), ws.sites().map { it.id })

            // The checklist says what is required and why, with its clauses.
            val checklist = ws.checklist(site.id, InspectionPurpose.FULL_INSPECTION)
            assertEquals(InspectionPurpose.FULL_INSPECTION, checklist.purpose)
            assertTrue(checklist.packs.isNotEmpty())
            val extinguishers = checklist.items.first { it.answer is AnswerKind.Count }
            val min = assertIs<AnswerKind.Count>(extinguishers.answer).min
            val requirement = assertNotNull(extinguishers.requirement)
            assertTrue("2A" in requirement && "300 m²" in requirement, requirement)
            assertTrue(extinguishers.why.isNotEmpty())
            val citation = extinguishers.citations.first()
            assertTrue(citation.document.contains("GB 50140"), citation.document)
            assertEquals("6.1.1", citation.clause)
            assertTrue(citation.verified)

            val inspectionId = ws.startInspection(site.id, InspectionPurpose.FULL_INSPECTION)
            val exits = "fire-law.exits-clear"
            val locks = "fire-law.exits-not-locked"
            assertEquals(AnswerOutcome.Pass, ws.answerItem(inspectionId, locks, Answer.Pass, ""))
            assertIs<AnswerOutcome.Fail>(ws.answerItem(inspectionId, exits, Answer.Fail, "纸箱堵住后门"))
            assertEquals(AnswerOutcome.Pass, ws.answerItem(inspectionId, extinguishers.id, Answer.Count(min), ""))
            val tooFew = ws.answerItem(inspectionId, extinguishers.id, Answer.Count(min - 1u), "")
            assertTrue(assertIs<AnswerOutcome.Fail>(tooFew).reason.isNotBlank())

            // A real camera JPEG, attached to the failed item.
            val jpeg = cameraJpeg(dir, "exit.jpg", 1024, 768)
            val photo = ws.attachPhoto(inspectionId, exits, jpeg.path)
            assertEquals(1024u to 768u, photo.width to photo.height)
            assertEquals(64, photo.sha256.length)
            assertEquals(exits, photo.itemId)
            assertNull(photo.latitude, "no GPS in this JPEG")

            val inspection = ws.inspection(inspectionId)
            assertTrue(System.currentTimeMillis() - inspection.startedAt in 0..60_000, "epoch milliseconds")
            assertNull(inspection.signedOffAt)
            val failed = inspection.items.single { it.item.id == exits }
            assertEquals(Answer.Fail, failed.answer)
            assertEquals("纸箱堵住后门", failed.note)
            assertEquals(listOf(photo), failed.photos)
            assertEquals(Answer.Count(min - 1u), inspection.items.single { it.item.id == extinguishers.id }.answer)
            assertEquals(inspection.items.size - 3, inspection.unanswered.toInt())

            // The hazard comes pre-filled from the failed item and lists as open.
            val hazard = ws.raiseHazard(inspectionId, exits, "", emptyList())
            assertEquals(HazardStatus.REPORTED, hazard.summary.status)
            assertEquals(listOf(photo.sha256), hazard.beforePhotos)
            assertTrue(hazard.clauses.isNotEmpty())
            assertTrue(assertNotNull(hazard.summary.deadline) > System.currentTimeMillis())
            assertEquals("reported", hazard.timeline.single().kind)

            val open = ws.hazards(
                HazardQuery(
                    siteId = site.id,
                    statuses = emptyList(),
                    openOnly = true,
                    overdueOnly = false,
                    assignedToMe = false,
                ),
            )
            assertEquals(listOf(hazard.summary), open)
            assertEquals(hazard, ws.hazard(hazard.summary.id))
            assertTrue(ws.pendingUploads() >= 2u, "photo and thumbnail queued for upload")
        }
    }

    @Test
    fun `answers from many coroutines at once all land`() = runBlocking<Unit> {
        openWorkspace(dir.path, inspector(), UTC_PLUS_8).use { ws ->
            val site = ws.createSite(restaurant())
            val inspectionId = ws.startInspection(site.id, InspectionPurpose.FULL_INSPECTION)
            val passFail = ws.inspection(inspectionId).items
                .map { it.item }
                .filter { it.answer is AnswerKind.PassFail }
            val outcomes = passFail.map { item ->
                async(Dispatchers.Default) { ws.answerItem(inspectionId, item.id, Answer.Pass, "") }
            }.awaitAll()
            assertTrue(outcomes.all { it == AnswerOutcome.Pass })
            assertEquals(passFail.size, ws.inspection(inspectionId).items.count { it.answer == Answer.Pass })
        }
    }

    @Test
    fun `closing a workspace releases it for the next open`() = runBlocking<Unit> {
        val folder = File(dir, "ws").path
        val siteId = openWorkspace(folder, inspector(), UTC_PLUS_8).use { ws ->
            ws.createSite(restaurant(latitude = null, longitude = null)).id
        }
        openWorkspace(folder, inspector(), UTC_PLUS_8).use { ws ->
            val site = ws.site(siteId)
            assertNull(site.latitude)
            assertEquals(PremisesType.RESTAURANT, site.profile.premises)
        }
    }
}
