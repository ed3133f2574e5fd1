# Renders the libvirt domain XML of one lab guest (sourced; needs lib/common.sh).
# shellcheck shell=bash
# lab_domain_xml <name> <domainType kvm|qemu> <confighash or ''> [uuid]
LAB_MEMORY_MIB=${LAB_MEMORY_MIB:-512}
LAB_MAX_MEMORY_MIB=${LAB_MAX_MEMORY_MIB:-2048}
LAB_VCPUS=${LAB_VCPUS:-1}

lab_domain_xml() {
  local name=$1 type=$2 hash=$3 cpu='' uuid=''
  [ "$type" = kvm ] && cpu="<cpu mode='host-passthrough'/>"
  [ -n "${4:-}" ] && uuid="<uuid>$4</uuid>"
  cat <<XML
<domain type='$type'>
  <name>$name</name>
  $uuid
  <title>Ballast lab guest</title>
  <metadata>
    <lab:lab xmlns:lab="https://ballast.invalid/xmlns/lab/1"><lab:confighash>$hash</lab:confighash></lab:lab>
  </metadata>
  <memory unit='MiB'>$LAB_MAX_MEMORY_MIB</memory>
  <currentMemory unit='MiB'>$LAB_MEMORY_MIB</currentMemory>
  <vcpu placement='static'>$LAB_VCPUS</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$LAB_IMAGE_DIR/vmlinuz</kernel>
    <initrd>$LAB_IMAGE_DIR/initrd.img</initrd>
    <cmdline>$LAB_CMDLINE ballast.name=$name</cmdline>
  </os>
  <features><acpi/></features>
  $cpu
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>preserve</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='usb' model='none'/>
    <serial type='file'>
      <source path='$LAB_STATE_DIR/$name.serial.log' append='off'/>
      <target port='0'/>
    </serial>
    <channel type='unix'>
      <source mode='bind' path='$LAB_STATE_DIR/$name.ctl.sock'/>
      <target type='virtio' name='org.ballast.ctl'/>
    </channel>
    <memballoon model='virtio'>
      <stats period='2'/>
    </memballoon>
    <panic model='isa'/>
  </devices>
</domain>
XML
}
