// Sync against a real closeloop-server, called the way the Android app calls it: log in, a
// `suspend` sync with a progress listener, the demo organisation's sites arriving, work done
// offline reaching a supervisor's phone. bindings/test starts the server (demo organisation, a
// throwaway data folder) and passes its address as -Dcloseloop.serverUrl.
package app.closeloop.example

import app.closeloop.core.Answer
import app.closeloop.core.CoreException
import app.closeloop.core.HazardQuery
import app.closeloop.core.HazardStatus
import app.closeloop.core.InspectionPurpose
import app.closeloop.core.SyncListener
import app.closeloop.core.SyncProgress
import app.closeloop.core.SyncStage
import app.closeloop.core.UserIdentity
import app.closeloop.core.UserRole
import app.closeloop.core.Workspace
import app.closeloop.core.openWorkspace
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.File
import java.io.IOException
import java.net.InetAddress
import java.net.ServerSocket
import java.net.Socket
import java.net.URI
import java.util.UUID
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.concurrent.thread
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/** What a sync screen keeps: every progress step, in order. Called on a background thread. */
class ProgressLog : SyncListener {
    val steps = CopyOnWriteArrayList<SyncProgress>()

    override fun onProgress(progress: SyncProgress) {
        steps += progress
    }

    fun stages() = steps.map { it.stage }
}

/**
 * Who the app opens the workspace as before the first login: only the device is known. Login
 * replaces the rest with the server's description of the user.
 */
fun signedOut(username: String, gridIds: List<String> = emptyList()) = UserIdentity(
    userId = username,
    displayName = username,
    role = UserRole.INSPECTOR,
    orgId = "",
    gridIds = gridIds,
    siteIds = emptyList(),
    deviceId = "$username-phone-${UUID.randomUUID()}",
)

/** The demo organisation's passwords (`closeloop-server demo`). */
fun demoPassword(username: String) = "$username-demo-pass"

// Tests are `= runBlocking<Unit> { … }`: JUnit 5 silently skips a test method that returns a
// value, which a plain `runBlocking` does when its last expression is one (`assertFailsWith`).
class SyncTest {
    @TempDir
    lateinit var dir: File

    private lateinit var serverUrl: String

    @BeforeEach
    fun server() {
        val url = System.getProperty("closeloop.serverUrl").orEmpty()
        assumeTrue(url.isNotBlank(), "no server: run bindings/test, which starts one for these tests")
        serverUrl = url
    }

    private suspend fun phone(username: String, gridIds: List<String> = emptyList()): Workspace =
        openWorkspace(File(dir, username).path, signedOut(username, gridIds), UTC_PLUS_8)

    @Test
    fun `work from before the first login in a grid that is not yours is held, re-applied and dismissed`() =
        runBlocking<Unit> {
            phone("wang", listOf("grid-2")).use { wang ->
                val site = wang.createSite(restaurant().copy(gridId = "grid-2"))
                wang.login(serverUrl, "wang", demoPassword("wang"))

                val held = wang.quarantined()
                assertEquals(setOf(site.id, "tasks-${site.id}"), held.map { it.docId }.toSet())
                for (q in held) {
                    assertEquals(false, q.byServer)
                    assertEquals("placement.unknown_grid", q.rule)
                    assertTrue("grid-2" in q.reason, q.reason)
                    assertEquals(listOf("document"), q.held.map { it.kind })
                    assertEquals(emptyList(), q.kept)
                }
                assertEquals(emptyList(), wang.sites(), "not guessed into another grid")

                val entry = held.single { it.docId == site.id }
                val again = wang.reapplyQuarantined(entry.entryId)
                assertEquals(listOf("placement.unknown_grid"), again.held.map { it.rule })
                assertEquals(2, wang.quarantined().size)

                held.forEach { wang.dismissQuarantined(it.entryId) }
                assertEquals(emptyList(), wang.quarantined())
                assertTrue(File(dir, "wang/quarantine/dismissed/${entry.entryId}.automerge").exists())
                assertFailsWith<CoreException.NotFound> { wang.dismissQuarantined(entry.entryId) }
            }
        }

    @Test
    fun `an inspector's hazard reaches the supervisor through the server`() = runBlocking<Unit> {
        val exits = "fire-law.exits-clear"
        val (restaurantId, hazardId, photo) = phone("wang").use { wang ->
            val me = wang.login(serverUrl, "wang", demoPassword("wang"))
            assertEquals(UserRole.INSPECTOR, me.role)
            assertEquals(listOf(GRID), me.gridIds)

            // The first sync brings the sites of the inspector's grid, and only those.
            val firstSync = ProgressLog()
            val first = wang.sync(firstSync)
            assertTrue(firstSync.steps.isNotEmpty(), "the listener was called")
            assertEquals(SyncStage.DONE, firstSync.stages().last())
            assertTrue(SyncStage.PULLING in firstSync.stages())
            assertTrue(first.received > 0u)
            assertNotNull(first.cursor)
            val sites = wang.sites()
            assertTrue(sites.isNotEmpty())
            assertEquals(setOf(GRID), sites.map { it.gridId }.toSet(), "grid-2's sites are not sent")
            val restaurant = sites.single { it.name.startsWith("川菜馆") }

            // Offline work: a failed item with a camera photo, and the hazard it raises.
            val inspectionId = wang.startInspection(restaurant.id, InspectionPurpose.PATROL)
            wang.answerItem(inspectionId, exits, Answer.Fail, "纸箱堵住后门")
            val photo = wang.attachPhoto(inspectionId, exits, cameraJpeg(dir, "exit.jpg", 1024, 768).path)
            val hazard = wang.raiseHazard(inspectionId, exits, "", emptyList())
            assertTrue(wang.pendingUploads() >= 2u, "photo and thumbnail wait for the sync")

            val secondSync = ProgressLog()
            val pushed = wang.sync(secondSync)
            assertTrue(pushed.uploaded >= 2u, "photo and thumbnail uploaded: $pushed")
            assertEquals(emptyList(), pushed.uploadFailures)
            assertTrue(pushed.accepted >= 2u, "the inspection and the hazard: $pushed")
            assertEquals(pushed.pushed, pushed.accepted)
            assertEquals(emptyList(), pushed.refused)
            assertEquals(emptyList(), pushed.pushFailures)
            assertTrue(SyncStage.UPLOADING in secondSync.stages())
            assertEquals(SyncStage.DONE, secondSync.stages().last())
            assertEquals(0u, wang.pendingUploads())
            assertEquals(emptyList(), wang.quarantined())
            Triple(restaurant.id, hazard.summary.id, photo)
        }

        // The supervisor's phone receives the hazard with its photo.
        phone("li").use { li ->
            assertEquals(UserRole.SUPERVISOR, li.login(serverUrl, "li", demoPassword("li")).role)
            val progress = ProgressLog()
            li.sync(progress)
            assertEquals(SyncStage.DONE, progress.stages().last())
            val open = li.hazards(
                HazardQuery(
                    siteId = restaurantId,
                    statuses = emptyList(),
                    openOnly = true,
                    overdueOnly = false,
                    assignedToMe = false,
                ),
            )
            assertTrue(hazardId in open.map { it.id }, "$hazardId in $open")
            val hazard = li.hazard(hazardId)
            assertEquals(HazardStatus.REPORTED, hazard.summary.status)
            assertEquals(listOf(photo.sha256), hazard.beforePhotos)
            assertEquals(listOf("reported"), hazard.timeline.map { it.kind })
        }
    }

    @Test
    fun `a wrong password is an input error on the password`() = runBlocking<Unit> {
        phone("wang").use { ws ->
            val e = assertFailsWith<CoreException.InvalidInput> {
                ws.login(serverUrl, "wang", "not-the-password")
            }
            assertEquals("password", e.field)
            assertTrue(e.reason.isNotBlank())
            // Still signed out: a sync asks for a login and calls the listener for nothing.
            val progress = ProgressLog()
            assertFailsWith<CoreException.LoginRequired> { ws.sync(progress) }
            assertEquals(emptyList(), progress.steps)
        }
    }

    @Test
    fun `with no server to reach, sync is a network error and the work stays`() = runBlocking<Unit> {
        phone("wang").use { ws ->
            LoopbackLink(serverUrl).use { link ->
                ws.login(link.url, "wang", demoPassword("wang"))
                ws.sync(ProgressLog())
                val site = ws.sites().first()
                val inspectionId = ws.startInspection(site.id, InspectionPurpose.PATROL)

                link.close() // the phone loses its connection: nothing listens at link.url any more
                val e = assertFailsWith<CoreException.Network> { ws.sync(ProgressLog()) }
                assertTrue(e.detail.isNotBlank())
                // Logging in where nothing listens is a network error too, not a wrong password.
                assertFailsWith<CoreException.Network> {
                    ws.login(link.url, "wang", demoPassword("wang"))
                }
                assertEquals(inspectionId, ws.inspectionIds(site.id).first(), "offline work is kept")
            }
        }
    }
}

/**
 * The phone's connection to the server: a loopback port that forwards to `serverUrl` until it is
 * closed. Closing it also drops the connections it carried, so nothing answers at [url] after.
 */
class LoopbackLink(serverUrl: String) : AutoCloseable {
    private val target = URI(serverUrl)
    private val listener = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
    private val open = CopyOnWriteArrayList<Socket>()
    val url = "http://127.0.0.1:${listener.localPort}"

    init {
        thread(isDaemon = true, name = "loopback-link") {
            while (true) {
                val phone = try {
                    listener.accept()
                } catch (e: IOException) {
                    break // closed
                }
                val server = Socket(target.host, target.port)
                open += phone
                open += server
                pipe(phone, server)
                pipe(server, phone)
            }
        }
    }

    private fun pipe(from: Socket, to: Socket) = thread(isDaemon = true) {
        try {
            from.getInputStream().copyTo(to.getOutputStream())
            to.shutdownOutput()
        } catch (e: IOException) {
            // the other side or close() ended it
        }
    }

    override fun close() {
        listener.close()
        open.forEach { runCatching { it.close() } }
    }
}
