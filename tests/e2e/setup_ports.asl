/* The USB ports of the BIOS setup e2e (test_setup_ports.sh), as a
 * server's firmware describes them: port 1 connectable and hidden (Linux
 * "hardwired": internal), port 3 connectable and user visible ("hotplug":
 * external, its _STA a method the reader skips), port 2 not described. */
DefinitionBlock ("", "SSDT", 2, "PSTATE", "USBPORTS", 1)
{
    External (\_SB.PCI0, DeviceObj)
    Scope (\_SB.PCI0)
    {
        Device (XHC0)
        {
            Name (_ADR, 0x00020000)
            Device (RHUB)
            {
                Name (_ADR, Zero)
                Device (PRT1)
                {
                    Name (_ADR, One)
                    Name (_UPC, Package () { 0xFF, 0x03, Zero, Zero })
                    Name (_PLD, Package () { Buffer (0x14) {
                        0x82, 0, 0, 0, 0, 0, 0, 0, 0x00, 0, 0, 0,
                        0, 0, 0, 0, 0, 0, 0, 0 } })
                }
                Device (PRT3)
                {
                    Name (_ADR, 0x03)
                    Method (_STA) { Return (0x0F) }
                    Name (_UPC, Package () { 0xFF, 0x03, Zero, Zero })
                    Name (_PLD, Package () { Buffer (0x14) {
                        0x82, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0,
                        0, 0, 0, 0, 0, 0, 0, 0 } })
                }
            }
        }
    }
}
