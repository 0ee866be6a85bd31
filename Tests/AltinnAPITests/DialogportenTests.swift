import Foundation
import Testing

@testable import AltinnAPI

/// Dialogporten's dialog id ⇄ instance GUID (DPA `ToVersion7`, altinn-signing-more.md §7.2), and its events' app.
@Suite struct DialogportenTests {
    let instance = UUID(uuidString: "a72223a3-926b-4095-a2a6-bacc10815f2d")!
    let created = AltinnTimestamp("2020-10-29T07:22:19.438Z")!.date
    let dialog = UUID(uuidString: "0175733c-65ae-7095-a2a6-bacc10815f2d")!

    @Test func theReferenceExample() {
        #expect(DialogId.of(instance: self.instance, created: self.created) == self.dialog)
        #expect(DialogId.timestamp(of: self.dialog) == 1_603_956_139_438)
        #expect(DialogId.matches(self.dialog, instance: self.instance))
        #expect(DialogId.matches(self.dialog, instance: self.instance, created: self.created))
    }

    @Test func milliseconds() {
        // Whole milliseconds, rounded down like .NET; 7-digit fractions as Storage writes them.
        let late = AltinnTimestamp("2020-10-29T07:22:19.4387Z")!.date
        #expect(DialogId.of(instance: self.instance, created: late) == self.dialog)
        let next = AltinnTimestamp("2020-10-29T07:22:19.439Z")!.date
        #expect(DialogId.of(instance: self.instance, created: next) != self.dialog)
        #expect(DialogId.matches(self.dialog, instance: self.instance, created: next) == false)
        // The bits that survive are what matching needs: without the time the dialog still fits.
        #expect(DialogId.matches(DialogId.of(instance: self.instance, created: next), instance: self.instance))
    }

    /// Exactly the 74 surviving bits decide: hex digits 1–12, 13 and the top two bits of 17 are replaced.
    @Test func whichBitsSurvive() {
        func fits(_ guid: String) -> Bool { DialogId.matches(self.dialog, instance: UUID(uuidString: guid)!) }
        // Replaced: digits 1–12 (the time), digit 13 (version), the top two bits of digit 17 (a = 1010 → 6 = 0110).
        #expect(fits("ffffffff-ffff-1095-62a6-bacc10815f2d"))
        #expect(fits("00000000-0000-f095-e2a6-bacc10815f2d"))
        #expect(fits("12345678-9abc-4095-22a6-bacc10815f2d"))
        // Kept: digit 14, 15, 16, the low two bits of digit 17 (a = 1010 → b = 1011), 18–20, and the last 12.
        #expect(fits("a72223a3-926b-4195-a2a6-bacc10815f2d") == false)
        #expect(fits("a72223a3-926b-4005-a2a6-bacc10815f2d") == false)
        #expect(fits("a72223a3-926b-4094-a2a6-bacc10815f2d") == false)
        #expect(fits("a72223a3-926b-4095-b2a6-bacc10815f2d") == false)
        #expect(fits("a72223a3-926b-4095-a3a6-bacc10815f2d") == false)
        #expect(fits("a72223a3-926b-4095-a2a7-bacc10815f2d") == false)
        #expect(fits("a72223a3-926b-4095-a2a6-bacc10815f2e") == false)
        #expect(fits("a72223a3-926b-4095-a2a6-cacc10815f2d") == false)
    }

    @Test func onlyVersion7IdsWithTheVariantAreDialogs() {
        // The instance GUID itself (version 4) is not its dialog id; nor is an id without the RFC 4122 variant.
        #expect(DialogId.matches(self.instance, instance: self.instance) == false)
        #expect(
            DialogId.matches(UUID(uuidString: "0175733c-65ae-7095-22a6-bacc10815f2d")!, instance: self.instance)
                == false)
        #expect(
            DialogId.matches(UUID(uuidString: "0175733c-65ae-4095-a2a6-bacc10815f2d")!, instance: self.instance)
                == false)
    }

    @Test func theAppOfAResource() {
        #expect(
            Dialogporten.app(ofResource: "urn:altinn:resource:app_ttd_signing-app")
                == (try? AppReference("ttd/signing-app")))
        #expect(
            Dialogporten.app(ofResource: "urn:altinn:resource:app_digdir_a-b-c") == (try? AppReference("digdir/a-b-c")))
        #expect(Dialogporten.app(ofResource: "urn:altinn:resource:super-simple-service") == nil)
        #expect(Dialogporten.app(ofResource: "urn:altinn:resource:app_ttd") == nil)
        #expect(Dialogporten.app(ofResource: "urn:altinn:resource:app_ttd_") == nil)
        #expect(Dialogporten.app(ofResource: "urn:altinn:resource:app_ttd_Signing_App") == nil)
        #expect(Dialogporten.app(ofResource: "urn:altinn:resource:app__signing-app") == nil)
        #expect(Dialogporten.app(ofResource: "app_ttd_signing-app") == nil)
        #expect(Dialogporten.isSigningActivity("dialogporten.dialog.activity.signature-provided.v1"))
        #expect(Dialogporten.isSigningActivity("dialogporten.dialog.activity.sent-to-signing.v1"))
        #expect(Dialogporten.isSigningActivity("dialogporten.dialog.activity.form-submitted.v1") == false)
    }
}
