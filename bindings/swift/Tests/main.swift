// A small check of the generated Swift bindings, built by bindings/swift/test together with
// bindings/build/swift/Closeloop.swift into one executable (so no `import Closeloop` here; an app
// that links the XCFramework writes `import Closeloop`). The rules are tested in Rust; this checks
// that async calls, records, enums and the thrown CoreError cross the Swift binding.
import Foundation

@main
struct BindingTest {
    static var passed = 0
    static var failed = 0

    static func check(_ what: String, _ ok: Bool) {
        if ok {
            passed += 1
        } else {
            failed += 1
            print("FAILED: \(what)")
        }
    }

    static func main() async {
        do {
            try await visit()
        } catch {
            failed += 1
            print("FAILED: unexpected error \(error)")
        }
        print("\(passed) passed, \(failed) failed")
        exit(failed == 0 ? 0 : 1)
    }

    static func visit() async throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("closeloop-swift-\(UUID().uuidString)").path
        let inspector = UserIdentity(
            userId: "wang", displayName: "王网格员", role: .inspector, orgId: "org-1",
            gridIds: ["grid-1"], siteIds: [], deviceId: "wang-phone")
        let profile = SiteProfile(
            jurisdiction: .china, premises: .restaurant, floorAreaM2: 300, storeys: 1,
            buildingHeightM: 5, belowGround: false, occupants: 120, sleepers: 0,
            publicGatheringPlace: true, keyFireSafetyUnit: false, publicInstitution: false,
            gas: .lpg, kitchen: true, ebikeParking: false, ebikeCharging: false,
            flammableGoods: false, mixedLiving: false, hydrants: true, sprinklers: false,
            fireAlarm: false, hazardLevel: .medium)

        let ws = try await openWorkspace(folder: folder, user: inspector, utcOffsetMinutes: 480)
        let site = try await ws.createSite(site: NewSite(
            gridId: "grid-1", name: "川菜馆", address: "成都市锦江区春熙路 1 号",
            latitude: 30.657, longitude: 104.066, profile: profile))
        check("site name round-trips", site.name == "川菜馆")
        check("profile round-trips", site.profile == profile)

        let checklist = try await ws.checklist(siteId: site.id, purpose: .fullInspection)
        let extinguishers = checklist.items.first { item in
            if case .count = item.answer { return true }
            return false
        }
        check("a count item with its computed requirement",
              extinguishers?.requirement?.contains("2A") == true)
        check("citations arrive", extinguishers?.citations.first?.clause == "6.1.1")

        let inspectionId = try await ws.startInspection(siteId: site.id, purpose: .fullInspection)
        let exits = "fire-law.exits-clear"
        let outcome = try await ws.answerItem(
            inspectionId: inspectionId, itemId: exits, answer: .fail, note: "纸箱堵住后门")
        if case .fail = outcome { check("a failed answer", true) } else { check("a failed answer", false) }

        let corrupt = FileManager.default.temporaryDirectory
            .appendingPathComponent("closeloop-swift-\(UUID().uuidString).jpg")
        try Data([0xFF, 0xD8, 0xFF, 0xE0] + Array("truncated".utf8)).write(to: corrupt)
        do {
            _ = try await ws.attachPhoto(inspectionId: inspectionId, itemId: nil, path: corrupt.path)
            check("a corrupt photo is rejected", false)
        } catch CoreError.PhotoDamaged(let reason) {
            check("a corrupt photo is rejected", !reason.isEmpty)
        }

        let hazard = try await ws.raiseHazard(
            inspectionId: inspectionId, itemId: exits, note: "", photoPaths: [])
        check("hazard reported", hazard.summary.status == .reported)
        do {
            _ = try await ws.actOnHazard(
                hazardId: hazard.summary.id, action: .accept, note: "", photoPaths: [])
            check("an inspector cannot accept", false)
        } catch CoreError.NotAllowed(let rule, _) {
            check("an inspector cannot accept", rule == "hazard.accept.supervisor_only")
        }

        let open = try await ws.hazards(query: HazardQuery(
            siteId: site.id, statuses: [], openOnly: true, overdueOnly: false, assignedToMe: false))
        check("the hazard lists as open", open == [hazard.summary])
    }
}
