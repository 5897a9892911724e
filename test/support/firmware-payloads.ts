/**
 * Payloads of the four firmwares the presets read, as their documentation prints them (page cited),
 * with the unit each quantity has once pimonitor has converted it (°F → °C, inHg → hPa, mV → V,
 * Wh → kWh); null for a quantity without one (a power factor, a link quality, a motion state). Read by
 * test/sources-units.test.ts; the ESPHome ones assume the source's temperatureUnit where given.
 */
export interface DocumentedPayload {
  firmware: 'tasmota' | 'zigbee2mqtt' | 'esphome' | 'shelly';
  doc: string;
  topic: string;
  payload: string;
  /** metric as pimonitor names it → its unit as stored. Every metric decoded must be listed. */
  units: Readonly<Record<string, string | null>>;
}

const T = 'tasmota';
const Z = 'zigbee2mqtt';
const E = 'esphome';
const S = 'shelly';

export const DOCUMENTED_PAYLOADS: readonly DocumentedPayload[] = [
  {
    firmware: T, doc: 'https://tasmota.github.io/docs/AM2301/', topic: 'tele/th16/SENSOR',
    payload:
      '{"Time":"2026-11-25T11:00:00","AM2301":{"Temperature":24.6,"Humidity":58.2,"DewPoint":15.9},"TempUnit":"C"}',
    units: { temperature: '°C', humidity: '%', dew_point: '°C' },
  },
  {
    firmware: T, doc: 'https://tasmota.github.io/docs/DS18x20/', topic: 'tele/boiler/SENSOR',
    payload:
      '{"Time":"2026-11-25T11:00:00","DS18B20-1":{"Id":"00000566CC39","Temperature":13.3},' +
        '"DS18B20-2":{"Id":"0000056B1A49","Temperature":48.1},"TempUnit":"C"}',
    units: { temperature: '°C' },
  },
  {
    firmware: T, doc: 'https://tasmota.github.io/docs/BME280/', topic: 'tele/porch/SENSOR',
    payload:
      '{"Time":"2026-11-25T11:00:00","BME280":{"Temperature":24.5,"Humidity":36.3,"DewPoint":8.5,"Pressure":1007.2,' +
        '"SeaPressure":1013.5},"PressureUnit":"hPa","TempUnit":"C"}',
    units: { temperature: '°C', humidity: '%', dew_point: '°C', pressure: 'hPa', sea_pressure: 'hPa' },
  },
  // SetOption8 1 (°F) and SetOption24 1 (inHg: https://tasmota.github.io/docs/Commands/#setoptions)
  {
    firmware: T, doc: 'https://tasmota.github.io/docs/BME280/', topic: 'tele/porch/SENSOR',
    payload:
      '{"Time":"2026-11-25T11:00:00","BME280":{"Temperature":76.1,"Humidity":36.3,"DewPoint":47.3,"Pressure":29.74,' +
        '"SeaPressure":29.93},"PressureUnit":"inHg","TempUnit":"F"}',
    units: { temperature: '°C', humidity: '%', dew_point: '°C', pressure: 'hPa', sea_pressure: 'hPa' },
  },
  {
    firmware: T, doc: 'https://tasmota.github.io/docs/BME680/', topic: 'tele/office/SENSOR',
    payload:
      '{"Time":"2026-11-25T11:00:00","BME680":{"Temperature":24.5,"Humidity":33.0,"DewPoint":7.1,"Pressure":987.7,' +
        '"Gas":1752.79},"PressureUnit":"hPa","TempUnit":"C"}',
    units: { temperature: '°C', humidity: '%', dew_point: '°C', pressure: 'hPa', gas_resistance: 'kΩ' },
  },
  {
    firmware: T, doc: 'https://tasmota.github.io/docs/BH1750/', topic: 'tele/hall/SENSOR',
    payload: '{"Time":"2026-11-25T11:00:00","BH1750":{"Illuminance":83}}', units: { illuminance: 'lx' },
  },
  {
    firmware: T, doc: 'https://tasmota.github.io/docs/MH-Z19B/', topic: 'tele/office/SENSOR',
    payload:
      '{"Time":"2026-11-25T11:00:00","MHZ19B":{"Model":"B","CarbonDioxide":473,"Temperature":26.0},"TempUnit":"C"}',
    units: { co2: 'ppm', temperature: '°C' },
  },
  {
    firmware: T, doc: 'https://tasmota.github.io/docs/SGP30/', topic: 'tele/office/SENSOR',
    payload: '{"Time":"2026-11-25T11:00:00","SGP30":{"eCO2":450,"TVOC":3}}', units: { eco2: 'ppm', tvoc: 'ppb' },
  },
  {
    firmware: T, doc: 'https://tasmota.github.io/docs/Power-Monitoring-Calibration/', topic: 'tele/washer/SENSOR',
    payload:
      '{"Time":"2026-11-25T11:00:00","ENERGY":{"TotalStartTime":"2019-12-23T17:02:03","Total":12.345,"Yesterday":0.5,' +
        '"Today":0.25,"Period":3,"Power":1200,"ApparentPower":1250,"ReactivePower":350,"Factor":0.96,"Frequency":50,' +
        '"Voltage":231,"Current":5.41}}',
    units: {
      energy: 'kWh', energy_yesterday: 'kWh', energy_today: 'kWh', energy_period: 'Wh', power: 'W',
      apparent_power: 'VA', reactive_power: 'var', power_factor: null, frequency: 'Hz', voltage: 'V', current: 'A',
    },
  },
  // Two channels (a Shelly 2.5 running Tasmota): arrays, one metric per channel.
  {
    firmware: T, doc: 'https://tasmota.github.io/docs/devices/Shelly-2.5/', topic: 'tele/shutter/SENSOR',
    payload:
      '{"Time":"2026-11-25T11:00:00","ENERGY":{"Total":0.1,"Yesterday":0,"Today":0.1,"Period":[0,1],"Power":[10,20],' +
        '"ApparentPower":[12,22],"ReactivePower":[5,6],"Factor":[0.8,0.9],"Voltage":230,"Current":[0.05,0.1]}}',
    units: {
      energy: 'kWh', energy_yesterday: 'kWh', energy_today: 'kWh', energy_period_1: 'Wh', energy_period_2: 'Wh',
      power_1: 'W', power_2: 'W', apparent_power_1: 'VA', apparent_power_2: 'VA', reactive_power_1: 'var',
      reactive_power_2: 'var', power_factor_1: null, power_factor_2: null, voltage: 'V', current_1: 'A', current_2: 'A',
    },
  },
  {
    firmware: T, doc: 'https://tasmota.github.io/docs/ADC/', topic: 'tele/tank/SENSOR',
    payload: '{"Time":"2026-11-25T11:00:00","ANALOG":{"A0":512}}', units: { a0: null },
  },

  {
    firmware: Z, doc: 'https://www.zigbee2mqtt.io/devices/WSDCGQ11LM.html', topic: 'zigbee2mqtt/0x00158d0001e1a2b3',
    payload: '{"battery":100,"humidity":58.86,"linkquality":126,"pressure":1007.5,"temperature":20.44,"voltage":3005}',
    units: { battery: '%', humidity: '%', linkquality: null, pressure: 'hPa', temperature: '°C', voltage: 'V' },
  },
  {
    firmware: Z, doc: 'https://www.zigbee2mqtt.io/devices/RTCGQ11LM.html', topic: 'zigbee2mqtt/hall motion',
    payload:
      '{"battery":100,"device_temperature":27,"illuminance":12,"illuminance_lux":12,"occupancy":true,' +
        '"power_outage_count":3,"voltage":3045,"linkquality":100}',
    units: {
      battery: '%', device_temperature: '°C', illuminance: 'lx', illuminance_lux: 'lx', occupancy: null,
      power_outage_count: null, voltage: 'V', linkquality: null,
    },
  },
  {
    firmware: Z, doc: 'https://www.zigbee2mqtt.io/devices/TS011F_plug_1.html', topic: 'zigbee2mqtt/washer plug',
    payload: '{"current":0.27,"energy":1.23,"power":58,"voltage":230,"state":"ON","linkquality":120}',
    units: { current: 'A', energy: 'kWh', power: 'W', voltage: 'V', linkquality: null },
  },
  {
    firmware: Z, doc: 'https://www.zigbee2mqtt.io/devices/TS0601_thermostat.html', topic: 'zigbee2mqtt/radiator',
    payload:
      '{"local_temperature":19.5,"current_heating_setpoint":21,"position":30,"battery":80,"child_lock":"UNLOCK"}',
    units: { local_temperature: '°C', current_heating_setpoint: '°C', position: '%', battery: '%' },
  },
  {
    firmware: Z, doc: 'https://www.zigbee2mqtt.io/devices/TS0601_soil.html', topic: 'zigbee2mqtt/pot',
    payload: '{"soil_moisture":45,"temperature":18,"battery":90}',
    units: { soil_moisture: '%', temperature: '°C', battery: '%' },
  },
  {
    firmware: Z, doc: 'https://www.zigbee2mqtt.io/devices/TS0601_air_quality_sensor.html', topic: 'zigbee2mqtt/air',
    payload: '{"co2":450,"pm25":12,"temperature":21,"humidity":45}',
    units: { co2: 'ppm', pm25: 'µg/m³', temperature: '°C', humidity: '%' },
  },

  ...[
    ['living_room_temperature', '21.4', 'temperature', '°C'], ['living_room_humidity', '45', 'humidity', '%'],
    ['bme280_pressure', '1013.2', 'pressure', 'hPa'], ['porch_illuminance', '80', 'illuminance', 'lx'],
    ['mains_voltage', '231', 'voltage', 'V'], ['pump_current', '0.5', 'current', 'A'],
    ['pump_power', '115', 'power', 'W'], ['pump_energy', '1.5', 'energy', 'kWh'],
    ['node_battery', '88', 'battery', '%'], ['office_co2', '612', 'co2', 'ppm'], ['wifi_signal', '-61', 'value', null],
  ].map(([id, value, metric, unit]): DocumentedPayload => ({
    firmware: E, doc: 'https://esphome.io/components/mqtt.html', topic: `livingroom/sensor/${id}/state`,
    payload: value!, units: { [metric!]: unit ?? null },
  })),
  {
    firmware: E, doc: 'https://esphome.io/components/binary_sensor/', topic: 'hall/binary_sensor/hall_motion/state',
    payload: 'ON', units: { motion: null },
  },

  {
    firmware: S, doc: 'https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Temperature',
    topic: 'shellyplusht-08b61fcb7f3c/status/temperature:0', payload: '{"id":0,"tC":21.6,"tF":70.9}',
    units: { temperature: '°C' },
  },
  {
    firmware: S, doc: 'https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Humidity',
    topic: 'shellyplusht-08b61fcb7f3c/status/humidity:0', payload: '{"id":0,"rh":54.3}', units: { humidity: '%' },
  },
  {
    firmware: S, doc: 'https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/DevicePower',
    topic: 'shellyplusht-08b61fcb7f3c/status/devicepower:0',
    payload: '{"id":0,"battery":{"V":5.97,"percent":100},"external":{"present":false}}',
    units: { battery: '%', voltage: 'V' },
  },
  {
    firmware: S, doc: 'https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Illuminance',
    topic: 'shellyplusi4-1/status/illuminance:0', payload: '{"id":0,"lux":80,"illumination":"dark"}',
    units: { illuminance: 'lx' },
  },
  {
    firmware: S, doc: 'https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Switch',
    topic: 'shellyplus1pm-a8032ab12345/status/switch:0',
    payload:
      '{"id":0,"source":"init","output":true,"apower":58.2,"voltage":230.1,"current":0.27,"aenergy":{"total":1234.5,' +
        '"by_minute":[0,0,0],"minute_ts":1795600800},"temperature":{"tC":41.2,"tF":106.2}}',
    units: { power: 'W', voltage: 'V', current: 'A', energy: 'kWh', device_temperature: '°C' },
  },
  {
    firmware: S, doc: 'https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/PM1',
    topic: 'shellypmmini-1/status/pm1:0',
    payload: '{"id":0,"voltage":231.2,"current":0.31,"apower":70.1,"aenergy":{"total":2.5}}',
    units: { power: 'W', voltage: 'V', current: 'A', energy: 'kWh' },
  },
  {
    firmware: S, doc: 'https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Cover',
    topic: 'shellyplus2pm-1/status/cover:0',
    payload:
      '{"id":0,"state":"stopped","apower":0,"voltage":231,"current":0,"aenergy":{"total":12.3},"current_pos":50}',
    units: { power: 'W', voltage: 'V', current: 'A', energy: 'kWh', position: '%' },
  },
  {
    firmware: S, doc: 'https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/EM1',
    topic: 'shellyproem50-1/status/em1:0',
    payload: '{"id":0,"current":2.1,"voltage":230.4,"act_power":480.2,"aprt_power":490.1,"pf":0.98,"freq":50}',
    units: { power: 'W', voltage: 'V', current: 'A' },
  },
  {
    firmware: S, doc: 'https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Voltmeter',
    topic: 'shellyplusuni-1/status/voltmeter:100', payload: '{"id":100,"voltage":12.1}', units: { voltage: 'V' },
  },
];
